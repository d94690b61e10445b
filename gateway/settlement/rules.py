"""The settlement rules of the clinic system's guide to municipal settlements and NAV's description of BehandlerKrav,
as pure
functions.

:func:`check` gives every bill of a batch a verdict (included, refused with a stable code and a
reason, or dropped by the sender), computes the refund of every included bill and the totals of
``Krav``, and names the kind of certificate that must sign. One refused bill does not sink the
batch unless the batch asks for ``allOrNothing``.

Refund (the HELFO part, ``SumKrav/Refusjon``; NAV: "Det beløp som kreves refundert for
enkeltregningen inkludert refusjon for fri egenandel") of an included bill:

- doctors' accounts (standard, kommunalt enkeltoppgjør and fellesoppgjør for lege):
  ``sum(tariff amount × count) − patient share if the patient paid it``. With any exemption code
  (kodeverk 7461) the patient pays nothing, so the refund is the whole tariff sum;
- kommunalt fellesoppgjør for fysioterapi: 0, because the municipality gets a fixed grant
  (fastlønnstilskudd) instead of refunds; except with frikort (F), when the patient's share is
  claimed from HELFO instead, so the refund is the patient share. Frikort is the only exemption
  there (the clinic system's guide to municipal settlements): children under 16 and occupational injury are covered
  by the grant, each
  refused with a code of its own, every other code as not valid in municipal physiotherapy;
- a credit bill (``Kreditering`` true) claims the same amount negative (NAV: "Beløp på en
  krediteringsregning bør angis som et minusbeløp").

``SumKravSamlet`` is the sum of the refunds of the included bills, credits counting negatively;
``AntallRegninger`` counts every included bill, credit bills too.

Diagnoses follow the account's practice type (:mod:`gateway.domain.settlement_practice`): where HELFO
requires one, a bill without is refused; where HELFO says none is given (kommunal fysioterapi),
the bill's diagnoses are not sent and the verdict carries a note saying so. Dropping them rather
than refusing: the diagnosis is health data HELFO must not get and has no use for, EPJs attach it
unasked (the clinic system's Gruppetimer guide: "hentes automatisk fra sist lagret journalnotat"), and refusing would
hold back
the municipality's frikort claims for data the sender cannot be blamed for.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from gateway.domain.parties import CertificateKind
from gateway.domain.settlement import (
    AccountingType,
    Bill,
    BillVerdict,
    Diagnosis,
    DiagnosisRule,
    DiagnosisSystem,
    ExemptionCode,
    PlannedBill,
    PracticeType,
    Practitioner,
    SettlementBatch,
    SettlementPlan,
    SettlementTotals,
    Verdict,
    diagnosis_rule,
    diagnosis_systems,
)
from gateway.primitives.errors import Issue, Unprocessable

__all__ = ["check", "refund_of", "required_signer_kind", "totals_of"]

_ZERO: Final = Decimal("0.00")
_CENT: Final = Decimal("0.01")

_GRANT: Final = "the municipality's fixed grant (fastlønnstilskudd) covers it instead of a refund"
#: Municipal physiotherapy: exemption codes covered by the fixed grant, with the code of the refusal.
_PHYSIO_COVERED_BY_GRANT: Final = {
    ExemptionCode.CHILD_UNDER_16: ("BILL_EXEMPTION_CHILD_COVERED_BY_GRANT", "a child under 16"),
    ExemptionCode.OCCUPATIONAL_INJURY: ("BILL_EXEMPTION_INJURY_COVERED_BY_GRANT",
                                        "an occupational injury (yrkesskade)"),
}


def required_signer_kind(accounting_type: AccountingType) -> CertificateKind:
    """Personal smart card for standard and enkeltoppgjør, the municipality's enterprise
    certificate for both fellesoppgjør."""
    return accounting_type.signer_kind


def refund_of(bill: Bill, accounting_type: AccountingType) -> Decimal:
    """``SumKrav/Refusjon`` of one bill by the rule in the module docstring, negative for a credit
    bill; raises :class:`Unprocessable` for a bill whose amounts contradict each other."""
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
    return (-refund if bill.credit else refund).quantize(_CENT)


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
    code = bill.exemption_code
    if accounting_type is not AccountingType.MUNICIPAL_JOINT_PHYSIO or code in (None, ExemptionCode.FRIKORT):
        return
    where = f"{bill.location}/exemptionCode"
    if code in _PHYSIO_COVERED_BY_GRANT:
        refusal, what = _PHYSIO_COVERED_BY_GRANT[code]
        raise Unprocessable(refusal, f"exemption code {code.value}: the patient's share for {what} is not "
                            f"claimed in municipal physiotherapy, {_GRANT}; frikort (F) is the only exemption "
                            "code there", location=where)
    raise Unprocessable(
        "BILL_EXEMPTION_NOT_ALLOWED_PHYSIO",
        f"exemption code {code.value} ({code.display_name}) is not valid in municipal physiotherapy: "
        "frikort (F) is the only one; children under 16 and occupational injury are covered by the "
        "municipality's fixed grant (fastlønnstilskudd), not by refunds",
        location=where,
    )


@dataclass(frozen=True, slots=True)
class _Diagnoses:
    """The account's diagnosis rule, looked up once per batch rather than once per bill."""

    practice: PracticeType
    rule: DiagnosisRule
    systems: frozenset[DiagnosisSystem]

    @classmethod
    def of(cls, batch: SettlementBatch) -> _Diagnoses:
        practice = batch.account.practice_type
        return cls(practice, diagnosis_rule(practice), diagnosis_systems(practice))


def _diagnoses_sent(bill: Bill, diagnoses: _Diagnoses, notes: list[Issue]) -> tuple[Diagnosis, ...]:
    practice, rule, systems = diagnoses.practice, diagnoses.rule, diagnoses.systems
    if rule is DiagnosisRule.FORBIDDEN:
        if bill.diagnoses:
            notes.append(Issue("BILL_DIAGNOSIS_NOT_SENT", f"the bill's {len(bill.diagnoses)} diagnosis code(s) are "
                               f"not sent: HELFO takes no diagnosis for practice type {practice.value}",
                               f"{bill.location}/diagnoses"))
        return ()
    # A credit bill names the original by its GUID, and then NAV needs no Behandling of it again.
    if rule is DiagnosisRule.REQUIRED and not bill.diagnoses and not bill.credit:
        raise Unprocessable("BILL_DIAGNOSIS_MISSING", f"HELFO requires a diagnosis on bills of practice type "
                            f"{practice.value}, and this bill has none", location=f"{bill.location}/diagnoses")
    for index, diagnosis in enumerate(bill.diagnoses):
        if diagnosis.system not in systems:
            raise Unprocessable(
                "BILL_DIAGNOSIS_SYSTEM_WRONG",
                f"diagnosis {diagnosis.code} is {diagnosis.system.value}; practice type {practice.value} "
                f"gives diagnoses in {' or '.join(sorted(s.value for s in systems))}",
                location=f"{bill.location}/diagnoses/{index}/system",
            )
    return bill.diagnoses


def _notes_on_refund(bill: Bill, accounting_type: AccountingType, notes: list[Issue]) -> None:
    if (accounting_type is AccountingType.MUNICIPAL_JOINT_PHYSIO and bill.exemption_code is ExemptionCode.FRIKORT
            and not bill.patient_share):
        notes.append(Issue("BILL_FRIKORT_WITHOUT_PATIENT_SHARE", "frikort: the refund is the patient's share, and "
                           "this bill gives none, so it claims 0.00; add patientShare to claim it",
                           f"{bill.location}/patientShare"))


def _judge(bill: Bill, batch: SettlementBatch, diagnoses: _Diagnoses) -> tuple[BillVerdict, PlannedBill | None]:
    accounting_type = batch.account.accounting_type
    if bill.canonical_guid in batch.dropped_bills:
        verdict = BillVerdict(
            bill.guid, bill.bill_number, Verdict.DROPPED, "BILL_DROPPED",
            "left out of this settlement by the sender", location=bill.location,
        )
        return verdict, None
    notes: list[Issue] = []
    try:
        if bill.defects:
            first = bill.defects[0]
            more = f" (and {len(bill.defects) - 1} more finding(s))" if len(bill.defects) > 1 else ""
            raise Unprocessable(first.code, first.message + more, location=first.location)
        practitioner = _treating_practitioner(bill, batch)
        _check_exemption(bill, accounting_type)
        sent = _diagnoses_sent(bill, diagnoses, notes)
        refund = refund_of(bill, accounting_type)
        _notes_on_refund(bill, accounting_type, notes)
    except Unprocessable as refusal:
        verdict = BillVerdict(
            bill.guid, bill.bill_number, Verdict.REFUSED, refusal.code, refusal.message,
            location=refusal.location or bill.location,
        )
        return verdict, None
    verdict = BillVerdict(
        bill.guid, bill.bill_number, Verdict.INCLUDED, refund=refund, location=bill.location, notes=tuple(notes)
    )
    return verdict, PlannedBill(bill, refund, practitioner, sent)


def totals_of(included: Sequence[PlannedBill]) -> SettlementTotals:
    """``Krav``: every included bill counted, refunds summed (a credit's refund is negative)."""
    total = sum((p.refund for p in included), _ZERO)
    return SettlementTotals(bill_count=len(included), sum_claimed=total.quantize(_CENT))


def _issue(verdict: BillVerdict) -> Issue:
    return Issue(verdict.code or "BILL_REFUSED", verdict.reason or "", verdict.location)


def check(batch: SettlementBatch) -> SettlementPlan:
    """Judge every bill and plan the settlement, or raise :class:`Unprocessable`:
    ``BATCH_REFUSED_ALL_OR_NOTHING`` when ``allOrNothing`` is set and any bill is refused,
    ``BATCH_EMPTY`` when no bill is left to claim. Both list every finding in ``issues``."""
    verdicts: list[BillVerdict] = []
    included: list[PlannedBill] = []
    diagnoses = _Diagnoses.of(batch)
    for bill in batch.bills:
        verdict, planned = _judge(bill, batch, diagnoses)
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
