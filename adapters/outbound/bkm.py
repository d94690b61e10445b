"""BehandlerKrav (BKM) builder: a :class:`~gateway.domain.settlement.SettlementPlan` in, the
``BehandlerKrav`` element (namespace ``http://www.kith.no/xmlstds/bkm/2006-12-20``) out.

Pure: the same plan gives byte-identical XML. Every element and attribute written is one that
NAV's own signed test message (from navikt/ebxml-processor's test resources) or NAV's field-by-field
description of BehandlerKrav has (``tests/adapters/outbound/test_nav_description.py`` walks both), in the
sample's order, and ``schemas/bkm-2006-12-20-subset.xsd`` describes exactly what is emitted.
Choices the sources leave open:

- ``Guid`` is written as NAV's XML writes it, ``{lower-case GUID}``, whatever braces or case the
  batch used;
- times (``DatoTid``) are Norwegian wall-clock time with its UTC offset (NAV: "Angis på formatet
  YYYY-MM-DDTHH:mm:ss±hh:mm"), unambiguous across the autumn DST change;
- ``Behandlerident`` (NAV: ``utforendeBehandler``, the HPR number of the treating practitioner) is
  on every bill: NAV requires it on every kommunal fysioterapi bill and on municipal doctors'
  bills signed with the municipality's certificate, and allows it for doctors generally;
- the patient's share is not an amount of its own (NAV describes none): ``BetaltEgenandel@erBetalt``
  says whether the patient paid the share of the tariffs sent (each tariff's share is set by the
  tariff regulations, not by the message), which is what counts toward the frikort,
  ``KodeEgenandel`` why the patient pays none, and with frikort the share is part of
  ``SumKrav/Refusjon`` ("inkludert refusjon for fri egenandel");
- a middle name goes into ``GivenName`` after the given name: NAV's description has ``fornavn``
  and ``etternavn`` only.

Written as escaped markup and parsed once: a 10,000-bill batch is one loop and one parse.
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib.metadata
from decimal import Decimal
from typing import Final
from zoneinfo import ZoneInfo

from lxml import etree

from gateway.domain.settlement import (
    DiagnosisSystem,
    PlannedBill,
    SettlementPlan,
    SettlementTotals,
)
from gateway.primitives.identifiers import IdentifierKind

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


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _attr(text: str) -> str:
    # Also tab, newline and carriage return: a parser would fold them to spaces in an attribute.
    return (_escape(text).replace('"', "&quot;").replace("\t", "&#9;").replace("\n", "&#10;")
            .replace("\r", "&#13;"))


def _ident(name: str, value: str, type_v: str, type_dn: str) -> str:
    return (f'<{name}><Id>{_escape(value)}</Id><TypeId V="{_attr(type_v)}" S="{OID_HPR_FNR_DNR}" '
            f'DN="{_attr(type_dn)}"/></{name}>')


def _coded(name: str, system: DiagnosisSystem, code: str, display: str | None) -> str:
    shown = f' DN="{_attr(display)}"' if display is not None else ""
    return f'<{name} S="{_DIAGNOSIS_OID[system]}" V="{_attr(code)}"{shown}/>'


def _bill(planned: PlannedBill, out: list[str]) -> None:
    """One ``Enkeltregning`` as text. Writing the markup and parsing the whole BehandlerKrav once
    is two to three times faster than some thirty ``etree.SubElement`` calls per bill, and every
    value passes through ``_escape``/``_attr``."""
    bill = planned.bill
    if bill.date_time is None or bill.patient.kind is None:
        # The rules refuse defective bills; reaching this is a programming error, not bad input.
        raise ValueError(f"bill {bill.guid} has defects and cannot be built")
    out.append(
        f"<Enkeltregning><Guid>{{{_escape(bill.canonical_guid)}}}</Guid>"
        f'<BetaltEgenandel erBetalt="{"true" if bill.patient_share_paid else "false"}" korrigering="false"/>'
        f"<Kreditering>{'true' if bill.credit else 'false'}</Kreditering>"
        f"<RegningNr>{_escape(bill.bill_number)}</RegningNr>"
        f"<DatoTid>{norwegian_time(bill.date_time)}</DatoTid>"
    )
    if bill.note is not None:
        out.append(f"<Merknad>{_escape(bill.note)}</Merknad>")
    out.append("<Patient>")
    patient = bill.patient
    given = " ".join(name for name in (patient.given_name, patient.middle_name) if name is not None)
    if patient.family_name is not None:
        out.append(f"<FamilyName>{_escape(patient.family_name)}</FamilyName>")
    if given:
        out.append(f"<GivenName>{_escape(given)}</GivenName>")
    out.append(_ident("Ident", bill.patient.id, *_PERSON_ID_DN[bill.patient.kind]))
    out.append("</Patient><Behandling>")
    if (code := bill.exemption_code) is not None:
        out.append(f'<KodeEgenandel V="{code.value}" DN="{_attr(code.display_name)}"/>')
    for diagnosis in planned.diagnoses:
        out.append(_coded("Diagnose", diagnosis.system, diagnosis.code, diagnosis.display))
    if (referral := bill.referral) is not None:
        if referral.date is not None:
            out.append(f"<HenvisningsDato>{referral.date.isoformat()}</HenvisningsDato>")
        if referral.id is not None:
            out.append(f"<HenvisningsId>{_escape(referral.id)}</HenvisningsId>")
        if (rd := referral.diagnosis) is not None:
            out.append(_coded("HenvisningsDiagnose", rd.system, rd.code, rd.display))
    out.append(_ident("Behandlerident", planned.practitioner.hpr, "HPR", "HPR-nummer"))
    for tariff in bill.tariffs:
        out.append(f'<Takst><Verdi U="NOK" V="{_nok(tariff.amount)}"/><Kode>{_escape(tariff.code)}</Kode>'
                   f"<Antall>{tariff.count}</Antall></Takst>")
    out.append(f'<SumKrav><Refusjon U="NOK" V="{_nok(planned.refund)}"/></SumKrav></Behandling></Enkeltregning>')


def _krav(totals: SettlementTotals) -> str:
    return (f"<Krav><AntallRegninger>{totals.bill_count}</AntallRegninger>"
            f'<SumKravSamlet U="NOK" V="{_nok(totals.sum_claimed)}"/></Krav>')


def build_behandlerkrav(
    plan: SettlementPlan, *, epj_name: str = EPJ_NAME, epj_version: str | None = None
) -> etree._Element:
    """The ``BehandlerKrav`` element of ``plan``: ``Konto`` (the account paid into), one
    ``Enkeltregning`` per included bill, then ``Krav`` with the plan's totals."""
    version = epj_version if epj_version is not None else package_version()
    out = [f'<BehandlerKrav xmlns="{BKM_NS}" navnEPJ="{_attr(epj_name)}" versjonEPJ="{_attr(version)}">'
           f"<Konto>{_escape(plan.batch.account.account_number)}</Konto>"]
    for planned in plan.included:
        _bill(planned, out)
    out.append(_krav(plan.totals))
    out.append("</BehandlerKrav>")
    # Our own markup with every value escaped; the parser still refuses entities and the network.
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    return etree.fromstring("".join(out).encode(), parser)
