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

from gateway.domain.parties import CertificateKind
from gateway.domain.settlement_practice import (
    DiagnosisRule,
    DiagnosisSystem,
    PracticeType,
    diagnosis_rule,
    diagnosis_systems,
)
from gateway.primitives.errors import Issue
from gateway.primitives.identifiers import IdentifierKind

__all__ = [
    "HELFO_HER_ID",
    "Account",
    "AccountingType",
    "Bill",
    "BillVerdict",
    "Diagnosis",
    "DiagnosisRule",
    "DiagnosisSystem",
    "ExemptionCode",
    "Patient",
    "PlannedBill",
    "PracticeType",
    "Practitioner",
    "Referral",
    "SettlementBatch",
    "SettlementPlan",
    "SettlementTotals",
    "Tariff",
    "Verdict",
    "canonical_guid",
    "default_message_type",
    "default_practice_type",
    "diagnosis_rule",
    "diagnosis_systems",
]

HELFO_HER_ID = "79768"


def canonical_guid(text: str) -> str:
    """A bill's GUID as one value whatever its spelling: without surrounding blanks, lower case,
    without the braces NAV's XML sample writes around it (``{04db7c38-…}``) and its JSON API leaves off."""
    return text.strip().strip("{}").lower()


class AccountingType(StrEnum):
    """Regnskapstype of the account the bills are settled on (the clinic system's guide to municipal settlements)."""

    STANDARD = "standard"
    MUNICIPAL_SINGLE_DOCTOR = "kommunalt-enkeltoppgjor-lege"
    MUNICIPAL_JOINT_DOCTOR = "kommunalt-fellesoppgjor-lege"
    MUNICIPAL_JOINT_PHYSIO = "kommunalt-fellesoppgjor-fysioterapi"

    @property
    def is_joint(self) -> bool:
        """Fellesoppgjør: sent on behalf of the clinic for the chosen practitioners."""
        return self in (AccountingType.MUNICIPAL_JOINT_DOCTOR, AccountingType.MUNICIPAL_JOINT_PHYSIO)

    @property
    def signer_kind(self) -> CertificateKind:
        """Who signs: the municipality's enterprise certificate for a fellesoppgjør, the
        practitioner's personal smart card otherwise."""
        return CertificateKind.ENTERPRISE if self.is_joint else CertificateKind.PERSONAL


class ExemptionCode(StrEnum):
    """KodeEgenandel (NAV: ``arsakFriEgenandel``, kodeverk 7461): why the patient pays no own share.

    NAV's description lists A, B, F, G and H "as examples" of kodeverk 7461. The other codes and
    their meanings are those of the "fritakskode" KUHR bills carry in the municipal patient register
    (KPR) data, as SKDE's public formats of that data name them (SKDE-Analyse/sas_codes,
    ``formater/KPR_Lege.sas``, format ``$fritakskode``); occupational injury (yrkesskade) is ``Y``
    there. C, D, E and U occur in that data without a published meaning and are not accepted: a
    bill with them is refused naming the code rather than claimed on a guess. What a code means for
    the refund is the rules' decision, per accounting type (:mod:`gateway.settlement.rules`).
    """

    CONTAGIOUS_DISEASE = "A"
    CHILD_UNDER_16 = "B"
    FRIKORT = "F"
    HIV = "G"
    PATIENT_CONDITION = "H"
    PRISON_INMATE = "I"
    CHILD_UNDER_18_PSYCHIATRIC = "J"
    WAR_INJURY = "K"
    MILITARY = "M"
    CHILDRENS_HOUSE = "N"
    OUTREACH_SUBSTANCE_USE = "O"
    OUTREACH_GENERAL_PRACTICE = "P"
    VIOLENCE_OR_ABUSE = "R"
    PREGNANCY = "S"
    LAR_CONTRACEPTION = "W"
    OCCUPATIONAL_INJURY = "Y"

    @property
    def display_name(self) -> str:
        """The code's meaning in Norwegian, as the sources above word it (``KodeEgenandel@DN``)."""
        return _EXEMPTION_NAMES[self]


_EXEMPTION_NAMES: dict[ExemptionCode, str] = {
    ExemptionCode.CONTAGIOUS_DISEASE: "Smittefarlig sykdom",
    ExemptionCode.CHILD_UNDER_16: "Barn under 16 år",
    ExemptionCode.FRIKORT: "Frikort",
    ExemptionCode.HIV: "HIV-infeksjon",
    ExemptionCode.PATIENT_CONDITION: "Pasientens tilstand til hinder for avkreving av egenandel",
    ExemptionCode.PRISON_INMATE: "Innsatt i fengsel/sikringsanstalt",
    ExemptionCode.CHILD_UNDER_18_PSYCHIATRIC: "Barn under 18 år psykoterapeutisk/psykiatrisk behandling",
    ExemptionCode.WAR_INJURY: "Krigsskade",
    ExemptionCode.MILITARY: "Militærperson, vernepliktig",
    ExemptionCode.CHILDRENS_HOUSE: "Fritak ved undersøkelse på Statens barnehus",
    ExemptionCode.OUTREACH_SUBSTANCE_USE: "Oppsøkende behandling overfor rusmiddelavhengige",
    ExemptionCode.OUTREACH_GENERAL_PRACTICE: "Allmennlegetjenester der det gis oppsøkende helsehjelp",
    ExemptionCode.VIOLENCE_OR_ABUSE: "Akutt behandling av vold i nære relasjoner/seksuelle overgrep",
    ExemptionCode.PREGNANCY: "Svangerskap",
    ExemptionCode.LAR_CONTRACEPTION: "Langtidsvirkende prevensjon i legemiddelassistert rehabilitering (LAR)",
    ExemptionCode.OCCUPATIONAL_INJURY: "Yrkesskade",
}


# When the account names no practice type. Kommunalt fellesoppgjør for fysioterapi is kommunal
# fysioterapi by definition (KOFY). The three doctors' types are all doctors, for whom a diagnosis
# is required whichever doctor's code is chosen: standard is the self-employed GP with a list
# (the clinic system's guide to municipal settlements: "selvstendig næringsdrivende med fastlegehjemmel", FALE); both
# municipal types are
# doctors working for the municipality (KOFA, "Kommune fastlønnet lege").
_DEFAULT_PRACTICE_TYPES: dict[AccountingType, PracticeType] = {
    AccountingType.STANDARD: PracticeType.FASTLEGE,
    AccountingType.MUNICIPAL_SINGLE_DOCTOR: PracticeType.MUNICIPAL_SALARIED_DOCTOR,
    AccountingType.MUNICIPAL_JOINT_DOCTOR: PracticeType.MUNICIPAL_SALARIED_DOCTOR,
    AccountingType.MUNICIPAL_JOINT_PHYSIO: PracticeType.MUNICIPAL_PHYSIOTHERAPY,
}


def default_practice_type(accounting_type: AccountingType) -> PracticeType:
    return _DEFAULT_PRACTICE_TYPES[accounting_type]


# MsgInfo/Type when the account names none. No public source lists the types of BehandlerKrav.
# LOM (Legeoppgjørsmelding) is what doctors' EPJs send (seen in public EPJ test messages); NAV's own
# test message, from a psychologists' practice, is POM (Poliklinisk oppgjørsmelding): the only
# public evidence of a non-doctor's type, so physiotherapy gets POM, never LOM. An account whose
# HELFO agreement names another type sets ``messageType``.
_DEFAULT_MESSAGE_TYPES: dict[AccountingType, str] = {
    AccountingType.STANDARD: "LOM",
    AccountingType.MUNICIPAL_SINGLE_DOCTOR: "LOM",
    AccountingType.MUNICIPAL_JOINT_DOCTOR: "LOM",
    AccountingType.MUNICIPAL_JOINT_PHYSIO: "POM",
}


def default_message_type(accounting_type: AccountingType) -> str:
    return _DEFAULT_MESSAGE_TYPES[accounting_type]


@dataclass(frozen=True, slots=True)
class Account:
    accounting_type: AccountingType
    organisation_number: str
    account_number: str
    sender_her_id: str
    owner: str
    message_type: str
    practice_type: PracticeType


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
    def canonical_guid(self) -> str:
        """The GUID as one value whatever its spelling (:func:`canonical_guid`). Empty for a bill
        whose guid could not be read."""
        return canonical_guid(self.guid)

    @property
    def tariff_total(self) -> Decimal:
        return sum((t.amount * t.count for t in self.tariffs), Decimal("0.00"))


@dataclass(frozen=True, slots=True)
class SettlementBatch:
    account: Account
    practitioners: tuple[Practitioner, ...]
    signing_practitioner_hpr: str | None
    bills: tuple[Bill, ...]
    #: Canonical GUIDs (:attr:`Bill.canonical_guid`) of the bills the sender left out.
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
    """What became of one bill. ``refund`` is the amount claimed for an included bill, negative for
    a credit bill (as ``SumKrav/Refusjon``); ``notes`` are warnings about an included bill that the
    sender should see (a diagnosis left out, a frikort bill without a patient share)."""

    guid: str
    bill_number: str
    verdict: Verdict
    code: str | None = None
    reason: str | None = None
    refund: Decimal | None = None
    location: str | None = None
    notes: tuple[Issue, ...] = ()

    @property
    def bill_index(self) -> int | None:
        """The bill's position in the batch, read from ``location`` (``/bills/3/patient/id`` → 3)."""
        parts = (self.location or "").split("/", 3)
        if len(parts) > 2 and parts[1] == "bills" and parts[2].isdigit():
            return int(parts[2])
        return None


@dataclass(frozen=True, slots=True)
class PlannedBill:
    bill: Bill
    #: SumKrav/Refusjon: negative for a credit bill, so that the refunds add up to SumKravSamlet.
    refund: Decimal
    #: The practitioner reported as treating (Behandlerident).
    practitioner: Practitioner
    #: The diagnoses sent (Diagnose): the bill's own, or none where HELFO says none are given.
    diagnoses: tuple[Diagnosis, ...] = ()


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
