"""The settlement domain: one batch of bill cards (regningskort) from a clinic or a municipality's
finance office, and the plan the rules make of it.

Everything is a frozen dataclass; amounts are :class:`decimal.Decimal` in NOK with two decimals,
never floats, because the totals in ``Krav`` must add up to the øre.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from adapters.outbound.ports import CertificateKind
from gateway.errors import Issue
from gateway.identifiers import IdentifierKind

__all__ = [
    "HELFO_HER_ID",
    "Account",
    "AccountingType",
    "Bill",
    "BillVerdict",
    "Diagnosis",
    "DiagnosisSystem",
    "ExemptionCode",
    "Patient",
    "PlannedBill",
    "Practitioner",
    "Referral",
    "SettlementBatch",
    "SettlementPlan",
    "SettlementTotals",
    "Tariff",
    "Verdict",
]

HELFO_HER_ID = "79768"


class AccountingType(StrEnum):
    """Regnskapstype of the account the bills are settled on (seed 001)."""

    STANDARD = "standard"
    MUNICIPAL_SINGLE_DOCTOR = "kommunalt-enkeltoppgjor-lege"
    MUNICIPAL_JOINT_DOCTOR = "kommunalt-fellesoppgjor-lege"
    MUNICIPAL_JOINT_PHYSIO = "kommunalt-fellesoppgjor-fysioterapi"

    @property
    def is_joint(self) -> bool:
        """Fellesoppgjør: sent on behalf of the clinic for the chosen practitioners."""
        return self in (AccountingType.MUNICIPAL_JOINT_DOCTOR, AccountingType.MUNICIPAL_JOINT_PHYSIO)


class ExemptionCode(StrEnum):
    """KodeEgenandel: why the patient pays no own share."""

    CONTAGIOUS_DISEASE = "A"
    CHILD_UNDER_16 = "B"
    FRIKORT = "F"
    HIV = "G"
    PATIENT_CONDITION = "H"


class DiagnosisSystem(StrEnum):
    ICPC_2 = "ICPC-2"
    ICD_10 = "ICD-10"


@dataclass(frozen=True, slots=True)
class Account:
    accounting_type: AccountingType
    organisation_number: str
    account_number: str
    sender_her_id: str
    owner: str
    message_type: str


@dataclass(frozen=True, slots=True)
class Practitioner:
    hpr: str
    given_name: str | None = None
    family_name: str | None = None


@dataclass(frozen=True, slots=True)
class Tariff:
    code: str
    amount: Decimal
    count: int


@dataclass(frozen=True, slots=True)
class Diagnosis:
    system: DiagnosisSystem
    code: str
    display: str | None = None


@dataclass(frozen=True, slots=True)
class Referral:
    date: dt.date | None = None
    id: str | None = None
    diagnosis: Diagnosis | None = None


@dataclass(frozen=True, slots=True)
class Patient:
    id: str
    #: FNR or DNR once the check digits passed; ``None`` when the bill carries a defect for it.
    kind: IdentifierKind | None
    given_name: str | None = None
    middle_name: str | None = None
    family_name: str | None = None


@dataclass(frozen=True, slots=True)
class Bill:
    """One regningskort. ``defects`` are per-bill input faults found while parsing (bad check
    digits, impossible dates): the rules refuse such a bill without sinking the batch."""

    index: int
    guid: str
    bill_number: str
    date_time: dt.datetime | None
    patient: Patient
    practitioner_hpr: str
    tariffs: tuple[Tariff, ...]
    patient_share_paid: bool
    patient_share: Decimal
    exemption_code: ExemptionCode | None
    diagnoses: tuple[Diagnosis, ...]
    referral: Referral | None
    credit: bool
    note: str | None
    defects: tuple[Issue, ...] = ()

    @property
    def location(self) -> str:
        return f"/bills/{self.index}"

    @property
    def tariff_total(self) -> Decimal:
        return sum((t.amount * t.count for t in self.tariffs), Decimal("0.00"))


@dataclass(frozen=True, slots=True)
class SettlementBatch:
    account: Account
    practitioners: tuple[Practitioner, ...]
    signing_practitioner_hpr: str | None
    bills: tuple[Bill, ...]
    dropped_bills: frozenset[str]
    all_or_nothing: bool
    receiver_her_id: str = HELFO_HER_ID
    #: The registered account (POST /accounts) the batch names; see gateway/accounts/binding.py.
    account_id: str | None = None

    def practitioner(self, hpr: str) -> Practitioner | None:
        return next((p for p in self.practitioners if p.hpr == hpr), None)


class Verdict(StrEnum):
    INCLUDED = "included"
    REFUSED = "refused"
    DROPPED = "dropped"


@dataclass(frozen=True, slots=True)
class BillVerdict:
    guid: str
    bill_number: str
    verdict: Verdict
    code: str | None = None
    reason: str | None = None
    refund: Decimal | None = None
    location: str | None = None


@dataclass(frozen=True, slots=True)
class PlannedBill:
    bill: Bill
    refund: Decimal
    #: The practitioner reported as treating (Behandlerident).
    practitioner: Practitioner


@dataclass(frozen=True, slots=True)
class SettlementTotals:
    bill_count: int
    sum_claimed: Decimal


@dataclass(frozen=True, slots=True)
class SettlementPlan:
    batch: SettlementBatch
    signer_kind: CertificateKind
    verdicts: tuple[BillVerdict, ...]
    included: tuple[PlannedBill, ...]
    totals: SettlementTotals

    @property
    def signing_practitioner(self) -> Practitioner | None:
        """The practitioner whose smart card signs (personal signer only)."""
        if self.signer_kind is not CertificateKind.PERSONAL or self.batch.signing_practitioner_hpr is None:
            return None
        return self.batch.practitioner(self.batch.signing_practitioner_hpr)
