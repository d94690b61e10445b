"""BehandlerKrav (BKM) builder: a :class:`~gateway.settlement.model.SettlementPlan` in, the
``BehandlerKrav`` element (namespace ``http://www.kith.no/xmlstds/bkm/2006-12-20``) out.

Pure: the same plan gives byte-identical XML. Element order follows the real NAV test message
(``shared/reference/samples/``) and ``schemas/bkm-2006-12-20-subset.xsd`` describes exactly what is
emitted. Choices the sample cannot settle:

- times (``DatoTid``) are Norwegian wall-clock time with its UTC offset, so they are unambiguous
  across the autumn DST change and still read as the time the clinic saw;
- ``Behandlerident`` (the HPR number of the treating practitioner) is given on every bill, not
  only in fellesoppgjør: it costs nothing and the receiver never has to guess;
- ``SumKrav/Egenandel`` carries the patient's share whenever one is recorded, so that municipal
  physiotherapy reports it toward the patient's frikort even when the refund is 0.

Built with ``etree.SubElement`` only, one pass, no reparsing: a 10,000-bill batch is one loop.
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib.metadata
from decimal import Decimal
from typing import Final
from zoneinfo import ZoneInfo

from lxml import etree

from gateway.identifiers import IdentifierKind
from gateway.settlement.model import (
    DiagnosisSystem,
    ExemptionCode,
    PlannedBill,
    SettlementPlan,
    SettlementTotals,
)

__all__ = [
    "BKM_NS",
    "EPJ_NAME",
    "OID_HPR_FNR_DNR",
    "OID_ICD_10",
    "OID_ICPC_2",
    "build_behandlerkrav",
    "norwegian_time",
    "package_version",
]

BKM_NS: Final = "http://www.kith.no/xmlstds/bkm/2006-12-20"
EPJ_NAME: Final = "nordgate"
#: Kodeverk 8116: identifier types of persons (FNR, DNR, HPR, …).
OID_HPR_FNR_DNR: Final = "2.16.578.1.12.4.1.1.8116"
OID_ICD_10: Final = "2.16.578.1.12.4.1.1.7110"
OID_ICPC_2: Final = "2.16.578.1.12.4.1.1.7170"

_DIAGNOSIS_OID: Final = {DiagnosisSystem.ICD_10: OID_ICD_10, DiagnosisSystem.ICPC_2: OID_ICPC_2}
_PERSON_ID_DN: Final = {IdentifierKind.FNR: ("FNR", "Fødselsnummer"), IdentifierKind.DNR: ("DNR", "D-nummer")}
_EXEMPTION_DN: Final = {
    ExemptionCode.CONTAGIOUS_DISEASE: "Allmennfarlig smittsom sykdom",
    ExemptionCode.CHILD_UNDER_16: "Barn under 16 år",
    ExemptionCode.FRIKORT: "Frikort",
    ExemptionCode.HIV: "HIV-infeksjon",
    ExemptionCode.PATIENT_CONDITION: "Pasientens tilstand",
}


def _q(name: str) -> str:
    return f"{{{BKM_NS}}}{name}"


# Qualified tag names computed once per module, not per bill.
_NAMES: Final = (
    "BehandlerKrav", "Konto", "Enkeltregning", "Guid", "BetaltEgenandel", "Kreditering", "RegningNr",
    "DatoTid", "Merknad", "Patient", "FamilyName", "MiddleName", "GivenName", "Ident", "Id", "TypeId",
    "Behandling", "KodeEgenandel", "Diagnose", "HenvisningsDato", "HenvisningsId",
    "HenvisningsDiagnose", "Behandlerident", "Takst", "Verdi", "Kode", "Antall", "SumKrav",
    "Egenandel", "Refusjon", "Krav", "AntallRegninger", "SumKravSamlet",
)
_T: Final = {name: _q(name) for name in _NAMES}


@functools.cache
def package_version() -> str:
    """nordgate's installed version, for ``versjonEPJ``."""
    try:
        return importlib.metadata.version("nordgate")
    except importlib.metadata.PackageNotFoundError:
        return "0.0.0"


@functools.cache
def _oslo() -> ZoneInfo:
    return ZoneInfo("Europe/Oslo")


def norwegian_time(moment: dt.datetime) -> str:
    """``moment`` as Norwegian wall-clock time with its offset, to the second."""
    if moment.tzinfo is None:
        raise ValueError("a time without UTC offset cannot be placed in Norwegian time")
    return moment.astimezone(_oslo()).replace(microsecond=0).isoformat()


def _nok(amount: Decimal) -> str:
    return f"{amount:.2f}"


def _text(parent: etree._Element, name: str, text: str) -> etree._Element:
    element = etree.SubElement(parent, _T[name])
    element.text = text
    return element


def _amount(parent: etree._Element, name: str, amount: Decimal) -> None:
    etree.SubElement(parent, _T[name], U="NOK", V=_nok(amount))


def _ident(parent: etree._Element, name: str, value: str, type_v: str, type_dn: str) -> None:
    ident = etree.SubElement(parent, _T[name])
    _text(ident, "Id", value)
    etree.SubElement(ident, _T["TypeId"], V=type_v, S=OID_HPR_FNR_DNR, DN=type_dn)


def _coded(parent: etree._Element, name: str, system: DiagnosisSystem, code: str, display: str | None) -> None:
    attributes = {"S": _DIAGNOSIS_OID[system], "V": code}
    if display is not None:
        attributes["DN"] = display
    etree.SubElement(parent, _T[name], attributes)


def _bill(root: etree._Element, planned: PlannedBill) -> None:
    bill = planned.bill
    if bill.date_time is None or bill.patient.kind is None:
        # The rules refuse defective bills; reaching this is a programming error, not bad input.
        raise ValueError(f"bill {bill.guid} has defects and cannot be built")
    regning = etree.SubElement(root, _T["Enkeltregning"])
    _text(regning, "Guid", bill.guid)
    etree.SubElement(
        regning, _T["BetaltEgenandel"], erBetalt="true" if bill.patient_share_paid else "false",
        korrigering="false",
    )
    _text(regning, "Kreditering", "true" if bill.credit else "false")
    _text(regning, "RegningNr", bill.bill_number)
    _text(regning, "DatoTid", norwegian_time(bill.date_time))
    if bill.note is not None:
        _text(regning, "Merknad", bill.note)

    patient = etree.SubElement(regning, _T["Patient"])
    for name, value in (
        ("FamilyName", bill.patient.family_name),
        ("MiddleName", bill.patient.middle_name),
        ("GivenName", bill.patient.given_name),
    ):
        if value is not None:
            _text(patient, name, value)
    _ident(patient, "Ident", bill.patient.id, *_PERSON_ID_DN[bill.patient.kind])

    behandling = etree.SubElement(regning, _T["Behandling"])
    if bill.exemption_code is not None:
        etree.SubElement(
            behandling, _T["KodeEgenandel"], V=bill.exemption_code.value,
            DN=_EXEMPTION_DN[bill.exemption_code],
        )
    for diagnosis in bill.diagnoses:
        _coded(behandling, "Diagnose", diagnosis.system, diagnosis.code, diagnosis.display)
    if (referral := bill.referral) is not None:
        if referral.date is not None:
            _text(behandling, "HenvisningsDato", referral.date.isoformat())
        if referral.id is not None:
            _text(behandling, "HenvisningsId", referral.id)
        if (rd := referral.diagnosis) is not None:
            _coded(behandling, "HenvisningsDiagnose", rd.system, rd.code, rd.display)
    _ident(behandling, "Behandlerident", planned.practitioner.hpr, "HPR", "HPR-nummer")
    for tariff in bill.tariffs:
        takst = etree.SubElement(behandling, _T["Takst"])
        _amount(takst, "Verdi", tariff.amount)
        _text(takst, "Kode", tariff.code)
        _text(takst, "Antall", str(tariff.count))
    sum_krav = etree.SubElement(behandling, _T["SumKrav"])
    if bill.patient_share:
        _amount(sum_krav, "Egenandel", bill.patient_share)
    _amount(sum_krav, "Refusjon", planned.refund)


def _krav(root: etree._Element, totals: SettlementTotals) -> None:
    krav = etree.SubElement(root, _T["Krav"])
    _text(krav, "AntallRegninger", str(totals.bill_count))
    _amount(krav, "SumKravSamlet", totals.sum_claimed)


def build_behandlerkrav(
    plan: SettlementPlan, *, epj_name: str = EPJ_NAME, epj_version: str | None = None
) -> etree._Element:
    """The ``BehandlerKrav`` element of ``plan``: ``Konto`` (the account paid into), one
    ``Enkeltregning`` per included bill, then ``Krav`` with the plan's totals."""
    root = etree.Element(
        _T["BehandlerKrav"],
        # lxml-stubs type nsmap keys as str, but None is how lxml spells the default namespace.
        nsmap={None: BKM_NS},  # type: ignore[dict-item]
        navnEPJ=epj_name,
        versjonEPJ=epj_version if epj_version is not None else package_version(),
    )
    _text(root, "Konto", plan.batch.account.account_number)
    for planned in plan.included:
        _bill(root, planned)
    _krav(root, plan.totals)
    return root
