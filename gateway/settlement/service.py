"""The settlement service: a batch in, a durable queued settlement out; AppRecs in, outcomes recorded.

:meth:`SettlementService.submit` parses the batch, runs the rules, looks sender and receiver up in
the address register, checks the signer's certificate, builds, validates and signs the MsgHead
(:func:`~gateway.settlement.compose.compose_signed`) and stores the settlement together with its
outbox row in one transaction: when it returns, the settlement is on disk and will be delivered.

What is stored when:

- unreadable or invalid batch (4xx from :func:`~gateway.settlement.batch.parse_batch`): nothing;
- a readable batch the rules refuse as a whole (``BATCH_EMPTY``, ``BATCH_REFUSED_ALL_OR_NOTHING``):
  stored in state ``refused`` with every bill's verdict, and :class:`BatchRefused` (422) names its
  id, so the sender can read the verdicts again later;
- AR, signer or certificate problems (422/503): nothing; the same batch can be sent again;
- otherwise: state ``queued`` with the signed message, the outbox row, verdicts and totals.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path

from adapters.outbound.apprec import AppRec, AppRecStatus, parse_apprec
from adapters.outbound.ports import AddressRegister, CertificateKind, Signer
from gateway.audit.events import record_signed
from gateway.audit.recorder import AuditRecorder
from gateway.errors import Conflict, NotFound, TransientError, Unprocessable
from gateway.observability.request_id import current_request_id
from gateway.outbox.worker import instant
from gateway.settlement.batch import DEFAULT_MAX_BATCH_BYTES, parse_batch
from gateway.settlement.compose import REFUSAL_CODES, compose_signed, verdicts_of_refusal
from gateway.settlement.model import SettlementBatch
from gateway.settlement.records import AppRecOutcome, NewSettlement, SettlementRecord, SettlementState, SettlementStore
from gateway.settlement.rules import check
from gateway.settlement.view import totals_bytes, verdicts_bytes

__all__ = ["APPREC_STATES", "BatchRefused", "SettlementService"]

APPREC_STATES = {
    AppRecStatus.OK: SettlementState.ACKNOWLEDGED,
    AppRecStatus.REJECTED: SettlementState.REJECTED,
    AppRecStatus.OK_WITH_ERRORS: SettlementState.ACKNOWLEDGED_WITH_ERRORS,
}


class BatchRefused(Unprocessable):
    """The rules refused the whole batch; it is stored (state ``refused``) as ``settlement_id``."""

    settlement_id: str | None = None


#: Settlement ids of requests with an ``Idempotency-Key`` are uuid5 of the (client-scoped) key in this namespace.
_IDEMPOTENCY_NAMESPACE = uuid.UUID("6b1f1d1e-5f0e-4c38-9a57-2f3c0e7d9a41")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class SettlementService:
    def __init__(self, store: SettlementStore, *, register: AddressRegister | None,
                 signers: Mapping[CertificateKind, Signer], reference_dir: Path | None = None,
                 processing_status: str = "P", max_batch_bytes: int = DEFAULT_MAX_BATCH_BYTES,
                 max_apprec_bytes: int = 5 * 1024 * 1024, clock: Callable[[], dt.datetime] = _now,
                 on_queued: Callable[[], None] | None = None, audit: AuditRecorder | None = None) -> None:
        self.store = store
        self._audit = audit  # settlement.sign rows (certificate subject and serial, never the key)
        self._register = register
        self._signers = dict(signers)
        self._reference_dir = reference_dir
        self._processing_status = processing_status
        self._max_batch_bytes = max_batch_bytes
        self._max_apprec_bytes = max_apprec_bytes
        self._clock = clock
        self._on_queued = on_queued

    def submit(self, body: bytes, *, authorise: Callable[[SettlementBatch], None] | None = None,
               idempotency_key: str | None = None) -> SettlementRecord:
        """Accept a batch (module docstring); returns the stored settlement (state ``queued``).
        ``authorise`` may refuse the parsed batch (tenant, account) before anything is stored.
        With ``idempotency_key`` the settlement's id is derived from the key: the same key and batch
        again (a client retrying an answer it never got) returns that settlement, nothing new is
        signed or stored; the same key with another batch is 409 ``IDEMPOTENCY_KEY_REUSED``."""
        batch = parse_batch(body, max_bytes=self._max_batch_bytes)
        if authorise is not None:
            authorise(batch)
        if idempotency_key is None:
            settlement_id = str(uuid.uuid4())
        else:
            settlement_id = str(uuid.uuid5(_IDEMPOTENCY_NAMESPACE, idempotency_key))
            if (earlier := self._earlier(settlement_id, body)) is not None:
                return earlier
        try:
            plan = check(batch)
        except Unprocessable as refusal:
            if refusal.code not in REFUSAL_CODES:
                raise
            verdicts = verdicts_of_refusal(batch, refusal)
            self.store.add(NewSettlement(settlement_id, SettlementState.REFUSED, body, verdicts_bytes(verdicts),
                                         error_code=refusal.code, request_id=current_request_id()),
                           now=instant(self._clock()))
            refused = BatchRefused(refusal.code, refusal.message, issues=refusal.issues)
            refused.settlement_id = settlement_id
            raise refused from None
        if self._register is None:
            raise TransientError("AR_NOT_CONFIGURED", "no address register is configured (NORDGATE_AR_ENDPOINT "
                                 "or NORDGATE_AR_DATA_DIR)")
        signed = compose_signed(plan, register=self._register, signers=self._signers, at=self._clock(),
                                reference_dir=self._reference_dir, processing_status=self._processing_status)
        if self._audit is not None:
            record_signed(self._audit, settlement_id, signed, self._signers[plan.signer_kind])
        try:
            self.store.add(NewSettlement(settlement_id, SettlementState.QUEUED, body, verdicts_bytes(plan.verdicts),
                                         totals=totals_bytes(plan.totals), msg_id=signed.msg_id, message=signed.xml,
                                         receiver_her_id=signed.receiver_her_id, request_id=current_request_id()),
                           now=instant(signed.signed_at))
        except Exception:
            # The same idempotency key in two requests at once: the other one stored it first.
            if idempotency_key is None or (earlier := self._earlier(settlement_id, body)) is None:
                raise
            return earlier
        if self._on_queued is not None:
            self._on_queued()
        return self.status(settlement_id)

    def _earlier(self, settlement_id: str, body: bytes) -> SettlementRecord | None:
        """The settlement an earlier request with the same idempotency key stored, or None."""
        record = self.store.get(settlement_id)
        if record is None:
            return None
        if self.store.batch(settlement_id) != body:
            raise Conflict("IDEMPOTENCY_KEY_REUSED", f"this Idempotency-Key was used for another batch (settlement "
                           f"{settlement_id})", location="header Idempotency-Key")
        if record.state is SettlementState.REFUSED:
            refused = BatchRefused(record.error_code or "BATCH_REFUSED", "the batch sent with this Idempotency-Key "
                                   "was refused as a whole; its verdicts are stored")
            refused.settlement_id = settlement_id
            raise refused
        return record

    def status(self, settlement_id: str) -> SettlementRecord:
        record = self.store.get(settlement_id)
        if record is None:
            raise NotFound("SETTLEMENT_NOT_FOUND", f"no settlement {settlement_id}")
        return record

    def message(self, settlement_id: str) -> bytes:
        message = self.store.message(settlement_id)
        if message is None:
            self.status(settlement_id)  # 404 for an unknown id first
            raise NotFound("SETTLEMENT_NOT_SIGNED", f"settlement {settlement_id} has no signed message")
        return message

    def record_apprec(self, body: bytes) -> SettlementRecord:
        """Match an AppRec to its settlement by OriginalMsgId and record the outcome. The same
        outcome again is accepted (idempotent); a different one for the same message is 409."""
        apprec = parse_apprec(body, max_bytes=self._max_apprec_bytes)
        msg_id = apprec.original_msg_id
        known = self.store.by_msg_id(msg_id)
        if known is None:
            raise Unprocessable("APPREC_UNKNOWN_MESSAGE", f"no settlement was sent with MsgId {msg_id}",
                                message_id=msg_id, location="/AppRec/OriginalMsgId/Id")
        _check_sender(apprec, known)
        outcome = AppRecOutcome(int(apprec.status), tuple(e.code or "" for e in apprec.errors), apprec.id)
        record, changed = self.store.record_apprec(msg_id, outcome, APPREC_STATES[apprec.status],
                                                   now=instant(self._clock()))
        if record is None:  # pragma: no cover - the row was there a moment ago; rows are never deleted
            raise Unprocessable("APPREC_UNKNOWN_MESSAGE", f"no settlement was sent with MsgId {msg_id}",
                                message_id=msg_id)
        if changed:
            return record
        recorded = record.apprec
        if recorded is None:
            raise Conflict("APPREC_STATE_CONFLICT", f"settlement {record.id} is {record.state.value} and takes no "
                           "AppRec", message_id=msg_id)
        if (recorded.status, recorded.error_codes) != (outcome.status, outcome.error_codes):
            raise Conflict("APPREC_CONFLICT", f"an AppRec with status {recorded.status} is already recorded for "
                           f"MsgId {msg_id}; this one says {outcome.status}", message_id=msg_id)
        return record


def _check_sender(apprec: AppRec, record: SettlementRecord) -> None:
    """A receipt must come from the party the message went to, when it names itself."""
    named = sorted(h for h in (apprec.sender.her_id, apprec.sender.department_her_id) if h)
    if named and record.receiver_her_id is not None and record.receiver_her_id not in named:
        raise Unprocessable("APPREC_SENDER_MISMATCH", f"the AppRec comes from HER-id {', '.join(named)} but "
                            f"MsgId {apprec.original_msg_id} went to {record.receiver_her_id}",
                            message_id=apprec.original_msg_id, her_id=record.receiver_her_id)
