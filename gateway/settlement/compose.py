"""From a checked plan to the signed bytes that are sent: shared by the service and ``nordgate settle``.

Steps, each with its own stable error code:

1. sender (the account's HER-id) and receiver (the batch's, HELFO by default) from the address
   register: unknown → 422 ``SENDER_NOT_IN_AR`` / ``RECEIVER_NOT_IN_AR``, inactive → 422
   ``AR_PARTY_INACTIVE``, register down → 503 ``AR_*`` from the client;
2. the signer of the kind the accounting type requires: no signer configured at
   all → 503 ``SIGNER_NOT_CONFIGURED`` (the gateway's configuration, not the sender's fault: the same
   batch goes through once one is configured); only signers of the other kind → 422
   ``CERT_KIND_MISMATCH`` (a personal card offered for a fellesoppgjør, or the reverse);
3. the signer bound to the sender (:mod:`~adapters.outbound.signing.binding`) → 422
   ``SENDER_SIGNER_MISMATCH``: an enterprise certificate's organisation number must be the account's
   and the one the address register gives for the sender HER-id; a personal card's holder (the
   card holder record) must be the signing practitioner and the practitioner of every bill;
4. the certificate checked for kind, trust chain and validity → 422 ``CERT_*``
   (:class:`~gateway.primitives.errors.SigningRefused`), at the signing time ``at`` and at the wall clock's now:
   ``at`` is GenDate, and a fixed ``at`` (tests, benchmarks) must not let a certificate sign that may
   not sign now — the service passes its clock's now, which is the same instant;
5. MsgHead built with ``GenDate`` = the signing time and a fresh MsgId, validated against the BKM
   subset XSD (and the official MsgHead XSD with a reference folder) → 422 ``*_SCHEMA_INVALID``;
6. signed and serialised once: these bytes are stored, shown and delivered unchanged.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path

from cryptography import x509
from lxml import etree

from adapters.outbound.msghead import MSGHEAD_XSD, build_settlement_msghead, validate_msghead
from adapters.outbound.signing.binding import holder_issue, organisation_issue
from adapters.outbound.signing.certificates import organisation_number, personal_serial_number
from gateway.domain.parties import CertificateKind, CommunicationParty
from gateway.domain.settlement import BillVerdict, SettlementBatch, SettlementPlan, Verdict
from gateway.domain.settlement_records import SignedMessage
from gateway.ports.outbound import AddressRegister, Signer
from gateway.primitives.errors import NotFound, SigningRefused, TransientError, Unprocessable
from gateway.settlement.rules import check

__all__ = ["REFUSAL_CODES", "bind_to_sender", "choose_signer", "compose_signed", "kith_schema_dir",
           "lookup_party", "verdicts_of_refusal"]

#: Codes of :func:`gateway.settlement.rules.check` that refuse a whole, readable batch.
REFUSAL_CODES = frozenset({"BATCH_EMPTY", "BATCH_REFUSED_ALL_OR_NOTHING"})

Step = Callable[[str], None]


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


def choose_signer(plan: SettlementPlan, signers: Mapping[CertificateKind, Signer]) -> Signer:
    """The signer of the kind ``plan`` needs (step 2 of the module docstring)."""
    signer = signers.get(plan.signer_kind)
    if signer is not None and signer.kind is plan.signer_kind:
        return signer
    needs = (f"a {plan.batch.account.accounting_type.value} settlement is signed with a {plan.signer_kind.value} "
             "certificate")
    if signers:
        held = " and ".join(sorted({offered.kind.value for offered in signers.values()}))
        raise SigningRefused("CERT_KIND_MISMATCH", f"{needs}; the certificate offered is {held}")
    raise TransientError("SIGNER_NOT_CONFIGURED", f"{needs} and this gateway has none configured")


def bind_to_sender(plan: SettlementPlan, signer: Signer, sender: CommunicationParty) -> None:
    """Raise ``SENDER_SIGNER_MISMATCH`` unless ``signer`` speaks for the sender (step 3)."""
    certificate = x509.load_der_x509_certificate(signer.certificate_der)
    if plan.signer_kind is CertificateKind.ENTERPRISE:
        # The number msghead.py writes as the sender's ENH: a department has none of its own, its parent's counts.
        registered = sender.organization_number or sender.parent_organization_number
        issue = organisation_issue(organisation_number(certificate), {
            "the account": plan.batch.account.organisation_number,
            f"the address register for sender HER-id {sender.her_id}": registered,
        })
    else:
        signing = plan.batch.signing_practitioner_hpr
        issue = holder_issue(signer.holder_hpr, personal_serial_number(certificate), {
            "the batch's signing practitioner": [signing] if signing is not None else [],
            "the included bills' practitioners": {planned.practitioner.hpr for planned in plan.included},
        })
    if issue is not None:
        raise SigningRefused(issue.code, issue.message, her_id=sender.her_id, issues=[issue])


def compose_signed(plan: SettlementPlan, *, register: AddressRegister, signers: Mapping[CertificateKind, Signer],
                   at: dt.datetime, msg_id: uuid.UUID | None = None, reference_dir: Path | None = None,
                   processing_status: str = "P", step: Step = _no_step) -> SignedMessage:
    """Steps 1–6 of the module docstring; ``step`` is told the name of each step as it starts."""
    batch = plan.batch
    step("address register")
    sender = lookup_party(register, batch.account.sender_her_id, "sender")
    receiver = lookup_party(register, batch.receiver_her_id, "receiver")
    signer = choose_signer(plan, signers)
    step("certificate")
    bind_to_sender(plan, signer, sender)
    orgnr = batch.account.organisation_number if plan.signer_kind is CertificateKind.ENTERPRISE else None
    # Deliberately not injectable: the real clock is what a fixed ``at`` must not get around.
    for moment in (dt.datetime.now(dt.UTC), at):
        signer.check(at=moment, expected_kind=plan.signer_kind, organisation_number=orgnr)
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
