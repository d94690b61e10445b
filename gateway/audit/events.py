"""The audit rows written outside the HTTP hook: a push (inside its unit of work), a signature
(inside the settlement service) and a delivery (the outbox worker)."""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import orjson

from gateway.audit.context import current_actor
from gateway.audit.recorder import AuditRecorder
from gateway.domain.audit import OUTBOX, Action, Actor, AuditEntry, make_entry, sha256_hex

if TYPE_CHECKING:
    from gateway.domain.settlement_records import OutboxItem, SignedMessage
    from gateway.ports.outbound import Signer

__all__ = ["DELIVERY_STATUS", "certificate_summary", "delivery_entry", "push_entry", "record_delivery",
           "record_signed", "sign_entry"]

_log = logging.getLogger("nordgate.audit")

#: A delivery has no HTTP answer of its own; its outcome as a status code: delivered, will be tried
#: again (the receiver was unavailable), given up or refused by the receiver.
DELIVERY_STATUS = {"sent": 200, "retry": 503, "failed": 502}


def push_entry(actor: Actor, body_sha256: str | None, source: str, bundle: bytes, *, replayed: bool) -> AuditEntry:
    """``booking.push``: every resource version the answer names (``Type/id/_history/n``); the
    first one is also the row's resource."""
    entries = orjson.loads(bundle).get("entry") or []
    locations = [str(item["response"]["location"]) for item in entries if "response" in item]
    resource_type = resource_id = None
    if locations:
        resource_type, resource_id = locations[0].split("/")[:2]
    return make_entry(actor, Action.BOOKING_PUSH, 200, resource_type=resource_type, resource_id=resource_id,
                      body_sha256=body_sha256,
                      detail={"source": source, "replayed": replayed, "resources": locations})


@lru_cache(maxsize=8)
def certificate_summary(der: bytes) -> dict[str, str]:
    """Subject, issuer and serial of a signing certificate (never anything of its key)."""
    from cryptography import x509  # noqa: PLC0415 - only when something is signed

    certificate = x509.load_der_x509_certificate(der)
    return {"certificateSubject": certificate.subject.rfc4514_string(),
            "certificateIssuer": certificate.issuer.rfc4514_string(),
            "certificateSerial": format(certificate.serial_number, "x")}


def sign_entry(settlement_id: str, msg_id: str, signed_xml: bytes, *, kind: str, certificate_der: bytes,
               receiver_her_id: str, sender_her_id: str) -> AuditEntry:
    """``settlement.sign``, by the client of the current request (:func:`current_actor`)."""
    detail: dict[str, Any] = {"certificateKind": kind, "receiverHerId": receiver_her_id,
                              "senderHerId": sender_her_id}
    try:
        detail.update(certificate_summary(certificate_der))
    except ValueError:  # a signer whose certificate cannot be read signed anyway: say so, do not fail
        detail["certificateSubject"] = None
    return make_entry(current_actor(), Action.SETTLEMENT_SIGN, 200, resource_type="Settlement",
                      resource_id=settlement_id, message_id=msg_id, body_sha256=sha256_hex(signed_xml),
                      detail=detail)


def delivery_entry(item: OutboxItem, outcome: str, error: str | None = None) -> AuditEntry:
    """``settlement.send`` by ``system:outbox``: one row per delivery attempt. Of an error only its
    code is kept (the text may quote the receiver's answer)."""
    detail: dict[str, Any] = {"outcome": outcome, "attempt": item.attempts, "receiverHerId": item.receiver_her_id}
    if error:
        detail["error"] = error.split(":", 1)[0]
    # The request id of the submit that queued the message, so one id leads from POST to delivery.
    actor = Actor(OUTBOX.client_id, OUTBOX.tenants, getattr(item, "request_id", None))
    return make_entry(actor, Action.SETTLEMENT_SEND, DELIVERY_STATUS[outcome], resource_type="Settlement",
                      resource_id=item.settlement_id, message_id=item.msg_id, body_sha256=sha256_hex(item.payload),
                      detail=detail)


def record_signed(recorder: AuditRecorder, settlement_id: str, signed: SignedMessage, signer: Signer) -> None:
    """Buffered: the request's durable ``settlement.submit`` row takes it along before the 202."""
    recorder.record(sign_entry(settlement_id, signed.msg_id, signed.xml, kind=str(signer.kind),
                               certificate_der=signer.certificate_der, receiver_her_id=signed.receiver_her_id,
                               sender_her_id=signed.sender_her_id))


def record_delivery(recorder: AuditRecorder, item: OutboxItem, outcome: str) -> None:
    """Durable, after the outbox row was marked; a failure is logged and the row stays buffered,
    because the delivery itself has happened and must not be repeated for the audit's sake."""
    try:
        recorder.record_now(delivery_entry(item, outcome))
    except Exception:
        _log.exception("audit row of the delivery of %s could not be written", item.msg_id)
