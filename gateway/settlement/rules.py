"""The settlement rules of seed 001 and DESIGN.md §3.2, as pure functions.

:func:`check` gives every bill of a batch a verdict (included, refused with a stable code and a
reason, or dropped by the sender), computes the refund of every included bill and the totals of
``Krav``, and names the kind of certificate that must sign. One refused bill does not sink the
batch unless the batch asks for ``allOrNothing``.

Refund (the HELFO part, ``SumKrav/Refusjon``) of an included bill:

- doctors' accounts (standard, kommunalt enkeltoppgjør and fellesoppgjør for lege):
  ``sum(tariff amount × count) − patient share if the patient paid it``. With an exemption code
  the patient pays nothing, so the refund is the whole tariff sum;
- kommunalt fellesoppgjør for fysioterapi: 0, because the municipality gets a fixed grant
  (fastlønnstilskudd) instead of refunds; except with frikort (F), when the patient's share is
  claimed from HELFO instead, so the refund is the patient share. The share is still reported so
  it counts toward the patient's frikort.

``SumKravSamlet`` is the sum of the refunds of included ordinary bills minus the refunds of
included credit bills (``Kreditering`` true reverses an earlier claim); ``AntallRegninger`` counts
every included bill, credit bills too.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Final

from adapters.outbound.ports import CertificateKind
from gateway.errors import Issue, Unprocessable
from gateway.settlement.model import (
    AccountingType,
    Bill,
    BillVerdict,
    ExemptionCode,
    PlannedBill,
    Practitioner,
    SettlementBatch,
    SettlementPlan,
    SettlementTotals,
    Verdict,
)

__all__ = ["check", "refund_of", "required_signer_kind", "totals_of"]

_ZERO: Final = Decimal("0.00")
_CENT: Final = Decimal("0.01")

_SIGNER_KIND: Final = {
    AccountingType.STANDARD: CertificateKind.PERSONAL,
    AccountingType.MUNICIPAL_SINGLE_DOCTOR: CertificateKind.PERSONAL,
    AccountingType.MUNICIPAL_JOINT_DOCTOR: CertificateKind.ENTERPRISE,
    AccountingType.MUNICIPAL_JOINT_PHYSIO: CertificateKind.ENTERPRISE,
}


def required_signer_kind(accounting_type: AccountingType) -> CertificateKind:
    """Personal smart card for standard and enkeltoppgjør, the municipality's enterprise
    certificate for both fellesoppgjør (DESIGN.md §3.2)."""
    return _SIGNER_KIND[accounting_type]


def refund_of(bill: Bill, accounting_type: AccountingType) -> Decimal:
    """The HELFO part of one bill by the rule in the module docstring; raises
    :class:`Unprocessable` for a bill whose amounts contradict each other."""
    total = bill.tariff_total
    if bill.exemption_code is not None and bill.patient_share_paid:
        raise Unprocessable(
            "BILL_SHARE_PAID_DESPITE_EXEMPTION",
            f"exemption code {bill.exemption_code.value} means the patient pays no share, "
            "but the bill says the share was paid",
        )
    if bill.patient_share > total:
        raise Unprocessable(
            "BILL_PATIENT_SHARE_EXCEEDS_TARIFFS",
            f"patient share {bill.patient_share} is more than the tariff sum {total}",
        )
    if accounting_type is AccountingType.MUNICIPAL_JOINT_PHYSIO:
        refund = bill.patient_share if bill.exemption_code is ExemptionCode.FRIKORT else _ZERO
    else:
        refund = total - (bill.patient_share if bill.patient_share_paid else _ZERO)
    return refund.quantize(_CENT)


def _treating_practitioner(bill: Bill, batch: SettlementBatch) -> Practitioner:
    accounting_type = batch.account.accounting_type
    if not accounting_type.is_joint and bill.practitioner_hpr != batch.signing_practitioner_hpr:
        raise Unprocessable(
            "BILL_NOT_SIGNERS",
            f"a {accounting_type.value} settlement carries only the signing practitioner's "
            f"bills; this bill is practitioner {bill.practitioner_hpr}'s",
        )
    practitioner = batch.practitioner(bill.practitioner_hpr)
    if practitioner is None:
        raise Unprocessable(
            "BILL_PRACTITIONER_NOT_CHOSEN",
            f"practitioner {bill.practitioner_hpr} is not chosen for this settlement",
        )
    return practitioner


def _check_exemption(bill: Bill, accounting_type: AccountingType) -> None:
    if (
        accounting_type is AccountingType.MUNICIPAL_JOINT_PHYSIO
        and bill.exemption_code is not None
        and bill.exemption_code is not ExemptionCode.FRIKORT
    ):
        raise Unprocessable(
            "BILL_EXEMPTION_NOT_ALLOWED_PHYSIO",
            f"exemption code {bill.exemption_code.value} is not valid in municipal physiotherapy: "
            "frikort (F) is the only one; occupational injury and children under 16 are covered "
            "by the municipality's fixed grant (fastlønnstilskudd), not by refunds",
        )


def _judge(bill: Bill, batch: SettlementBatch) -> tuple[BillVerdict, PlannedBill | None]:
    accounting_type = batch.account.accounting_type
    if bill.guid in batch.dropped_bills:
        verdict = BillVerdict(
            bill.guid, bill.bill_number, Verdict.DROPPED, "BILL_DROPPED",
            "left out of this settlement by the sender", location=bill.location,
        )
        return verdict, None
    try:
        if bill.defects:
            first = bill.defects[0]
            raise Unprocessable(first.code, first.message, location=first.location)
        practitioner = _treating_practitioner(bill, batch)
        _check_exemption(bill, accounting_type)
        refund = refund_of(bill, accounting_type)
    except Unprocessable as refusal:
        verdict = BillVerdict(
            bill.guid, bill.bill_number, Verdict.REFUSED, refusal.code, refusal.message,
            location=refusal.location or bill.location,
        )
        return verdict, None
    verdict = BillVerdict(
        bill.guid, bill.bill_number, Verdict.INCLUDED, refund=refund, location=bill.location
    )
    return verdict, PlannedBill(bill, refund, practitioner)


def totals_of(included: Sequence[PlannedBill]) -> SettlementTotals:
    total = sum((-p.refund if p.bill.credit else p.refund for p in included), _ZERO)
    return SettlementTotals(bill_count=len(included), sum_claimed=total.quantize(_CENT))


def _issue(verdict: BillVerdict) -> Issue:
    return Issue(verdict.code or "BILL_REFUSED", verdict.reason or "", verdict.location)


def check(batch: SettlementBatch) -> SettlementPlan:
    """Judge every bill and plan the settlement, or raise :class:`Unprocessable`:
    ``BATCH_REFUSED_ALL_OR_NOTHING`` when ``allOrNothing`` is set and any bill is refused,
    ``BATCH_EMPTY`` when no bill is left to claim. Both list every finding in ``issues``."""
    verdicts: list[BillVerdict] = []
    included: list[PlannedBill] = []
    for bill in batch.bills:
        verdict, planned = _judge(bill, batch)
        verdicts.append(verdict)
        if planned is not None:
            included.append(planned)
    refused = [v for v in verdicts if v.verdict is Verdict.REFUSED]
    if batch.all_or_nothing and refused:
        raise Unprocessable(
            "BATCH_REFUSED_ALL_OR_NOTHING",
            f"{len(refused)} bill(s) refused and the batch asks for all or nothing",
            issues=[_issue(v) for v in refused],
        )
    if not included:
        raise Unprocessable(
            "BATCH_EMPTY",
            "no bill of the batch can be claimed",
            issues=[_issue(v) for v in verdicts],
        )
    return SettlementPlan(
        batch=batch,
        signer_kind=required_signer_kind(batch.account.accounting_type),
        verdicts=tuple(verdicts),
        included=tuple(included),
        totals=totals_of(included),
    )
