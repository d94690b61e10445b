"""From a checked plan to the signed bytes that are sent: shared by the service and ``nordgate settle``.

Steps, each with its own stable error code:

1. sender (the account's HER-id) and receiver (the batch's, HELFO by default) from the address
   register: unknown → 422 ``SENDER_NOT_IN_AR`` / ``RECEIVER_NOT_IN_AR``, inactive → 422
   ``AR_PARTY_INACTIVE``, register down → 503 ``AR_*`` from the client;
2. the signer of the kind the accounting type requires (DESIGN.md §3.2): none configured → 503
   ``SIGNER_NOT_CONFIGURED``. This is the gateway's configuration, not the sender's fault, and the
   same batch goes through once the signer is configured, hence a transient 503 and not a 422;
3. the certificate checked for kind, validity at the signing time, trust chain and (enterprise)
   the account's organisation number → 422 ``CERT_*`` (:class:`~gateway.errors.SigningRefused`);
4. MsgHead built with ``GenDate`` = the signing time and a fresh MsgId, validated against the BKM
   subset XSD (and the official MsgHead XSD with a reference folder) → 422 ``*_SCHEMA_INVALID``;
5. signed and serialised once: these bytes are stored, shown and delivered unchanged.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from adapters.outbound.msghead import MSGHEAD_XSD, build_settlement_msghead, validate_msghead
from adapters.outbound.ports import AddressRegister, CertificateKind, CommunicationParty, Signer
from gateway.errors import NotFound, TransientError, Unprocessable
from gateway.settlement.model import BillVerdict, SettlementBatch, SettlementPlan, Verdict
from gateway.settlement.rules import check

__all__ = ["REFUSAL_CODES", "SignedMessage", "compose_signed", "kith_schema_dir", "lookup_party",
           "verdicts_of_refusal"]

#: Codes of :func:`gateway.settlement.rules.check` that refuse a whole, readable batch.
REFUSAL_CODES = frozenset({"BATCH_EMPTY", "BATCH_REFUSED_ALL_OR_NOTHING"})

Step = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class SignedMessage:
    msg_id: str
    receiver_her_id: str
    sender_her_id: str
    signed_at: dt.datetime
    xml: bytes


def _no_step(_: str) -> None:
    return None


def kith_schema_dir(reference_dir: Path | None) -> Path | None:
    """The folder holding ``MsgHead-v1_2.xsd``: ``<reference>/kith`` or the folder itself."""
    if reference_dir is None:
        return None
    kith = reference_dir / "kith"
    return kith if (kith / MSGHEAD_XSD).is_file() else reference_dir


def lookup_party(register: AddressRegister, her_id: str, role: str) -> CommunicationParty:
    try:
        party = register.communication_party(her_id)
    except NotFound:
        raise Unprocessable(f"{role.upper()}_NOT_IN_AR", f"the {role}'s HER-id {her_id} is not in the address "
                            "register", her_id=her_id) from None
    if not party.active:
        raise Unprocessable("AR_PARTY_INACTIVE", f"the {role} {her_id} ({party.name}) is inactive in the "
                            "address register", her_id=her_id)
    return party


def compose_signed(plan: SettlementPlan, *, register: AddressRegister, signers: Mapping[CertificateKind, Signer],
                   at: dt.datetime, msg_id: uuid.UUID | None = None, reference_dir: Path | None = None,
                   processing_status: str = "P", step: Step = _no_step) -> SignedMessage:
    """Steps 1–5 of the module docstring; ``step`` is told the name of each step as it starts."""
    batch = plan.batch
    step("address register")
    sender = lookup_party(register, batch.account.sender_her_id, "sender")
    receiver = lookup_party(register, batch.receiver_her_id, "receiver")
    signer = signers.get(plan.signer_kind)
    if signer is None:
        raise TransientError("SIGNER_NOT_CONFIGURED", f"a {batch.account.accounting_type.value} settlement is "
                             f"signed with a {plan.signer_kind.value} certificate and this gateway has none "
                             "configured")
    step("certificate")
    orgnr = batch.account.organisation_number if plan.signer_kind is CertificateKind.ENTERPRISE else None
    signer.check(at=at, expected_kind=plan.signer_kind, organisation_number=orgnr)
    step("building")
    message_id = msg_id or uuid.uuid4()
    root = build_settlement_msghead(plan, sender=sender, receiver=receiver, gen_date=at, msg_id=message_id,
                                    processing_status=processing_status)
    step("schema")
    validate_msghead(root, kith_schema_dir(reference_dir))
    step("signing")
    signed = signer.sign(root)
    xml = etree.tostring(signed.getroottree(), xml_declaration=True, encoding="UTF-8")
    return SignedMessage(str(message_id), receiver.her_id, sender.her_id, at, xml)


def verdicts_of_refusal(batch: SettlementBatch, refusal: Unprocessable) -> tuple[BillVerdict, ...]:
    """Every bill's own verdict in a batch :func:`check` refused as a whole (one of
    :data:`REFUSAL_CODES`): for all-or-nothing, what each bill would have been on its own; for an
    empty batch, the refusal lists one finding per bill, in order."""
    if refusal.code == "BATCH_REFUSED_ALL_OR_NOTHING":
        try:
            return check(dataclasses.replace(batch, all_or_nothing=False)).verdicts
        except Unprocessable as inner:
            refusal = inner
    if len(refusal.issues) != len(batch.bills):  # not the shape check() gives; say what is known
        return tuple(BillVerdict(b.guid, b.bill_number, Verdict.REFUSED, refusal.code, refusal.message,
                                 location=b.location) for b in batch.bills)
    return tuple(
        BillVerdict(bill.guid, bill.bill_number,
                    Verdict.DROPPED if issue.code == "BILL_DROPPED" else Verdict.REFUSED,
                    issue.code, issue.message, location=issue.location)
        for bill, issue in zip(batch.bills, refusal.issues, strict=True)
    )
