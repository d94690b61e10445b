"""Every element and attribute nordgate writes into a BehandlerKrav MsgHead is one that NAV's own
test message or NAV's field-by-field description of BehandlerKrav has.

Two independent references:

- NAV's real signed test message (``reference/samples/BKM_POM_signed_MsgHead_navikt-ebxml-processor.xml``):
  every element and attribute path in it is allowed (the ``ds:Signature`` aside);
- NAV's description (``reference/nav-kuhr-krav/behandlerkravmelding_json.md``): it describes the
  JSON form field by field, and NAV's published mapping of each JSON field to its XML element
  ("Felt i BKM XML", navikt/kuhr-krav-api-dokumentasjon, behandlerkravmelding_json.md at commit
  73d12ad of 2025-10-02; later versions keep the fields and drop that column) gives the XML paths.
  ``DESCRIBED`` below is that mapping, each XML path with the JSON field it carries; a test checks
  that every field it cites is in the description in the reference folder.

An attribute of a described element is allowed when NAV's message shows the same attribute on an
element of that name (``TypeId`` carries ``V``, ``S`` and ``DN`` there): the description names the
element, the message shows how the element is written.

Our output is built for all four accounting types, with credit bills, exemption codes, referrals,
names, D-numbers, notes, personal and enterprise signers. The list of paths that neither reference
has must be empty.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Iterable
from typing import Any

import pytest
from lxml import etree

from adapters.outbound.bkm import BKM_NS
from adapters.outbound.msghead import build_settlement_msghead
from gateway.domain.settlement import ExemptionCode
from gateway.primitives.xmlsafe import parse_xml
from gateway.settlement.rules import check
from tests.gateway.settlement.factories import (
    OTHER,
    PATIENT,
    PATIENT_DNR,
    batch_dict,
    bill,
    helfo_party,
    parse,
    sender_party,
)
from tests.reference import NO_REFERENCE, REFERENCE

NAV_SAMPLE = REFERENCE / "samples" / "BKM_POM_signed_MsgHead_navikt-ebxml-processor.xml"
NAV_DESCRIPTION = REFERENCE / "nav-kuhr-krav" / "behandlerkravmelding_json.md"
needs_reference = pytest.mark.skipif(not (NAV_SAMPLE.is_file() and NAV_DESCRIPTION.is_file()), reason=NO_REFERENCE)

BKM = "MsgHead/Document/RefDoc/Content/BehandlerKrav"
REGNING = f"{BKM}/Enkeltregning"
BEHANDLING = f"{REGNING}/Behandling"

#: XML path (as written in NAV's message: BehandlerKrav/Enkeltregning/Behandling/...) → the NAV JSON
#: field (full path under ``behandlerkrav``) NAV maps it to.
DESCRIBED: dict[str, str] = {
    f"{BKM}/@navnEPJ": "behandlerkrav.navnEPJ",
    f"{BKM}/Avdeling": "behandlerkrav.avdeling",
    f"{BKM}/RESH": "behandlerkrav.reshId",
    REGNING: "behandlerkrav.regninger",
    f"{REGNING}/Guid": "behandlerkrav.regninger.guid",
    f"{REGNING}/BetaltEgenandel": "behandlerkrav.regninger.betaltEgenandel",
    f"{REGNING}/BetaltEgenandel/@erBetalt": "behandlerkrav.regninger.betaltEgenandel",
    f"{REGNING}/BetaltEgenandel/@korrigering": "behandlerkrav.regninger.korrigeringBetaltEgenandel",
    f"{REGNING}/Kreditering": "behandlerkrav.regninger.kreditering",
    f"{REGNING}/RegningNr": "behandlerkrav.regninger.regningsnummer",
    f"{REGNING}/DatoTid": "behandlerkrav.regninger.tidspunkt",
    f"{REGNING}/Merknad": "behandlerkrav.regninger.merknad",
    f"{REGNING}/Patient": "behandlerkrav.regninger.pasient",
    f"{REGNING}/Patient/FamilyName": "behandlerkrav.regninger.pasient.etternavn",
    f"{REGNING}/Patient/GivenName": "behandlerkrav.regninger.pasient.fornavn",
    f"{REGNING}/Patient/Sex": "behandlerkrav.regninger.pasient.kjonn",
    f"{REGNING}/Patient/Nationality": "behandlerkrav.regninger.pasient.trygdenasjon",
    f"{REGNING}/Patient/DateOfBirth": "behandlerkrav.regninger.pasient.fodselsdato",
    f"{REGNING}/Patient/Ident": "behandlerkrav.regninger.pasient.identifikasjon",
    f"{REGNING}/Patient/Ident/Id": "behandlerkrav.regninger.pasient.identifikasjon.id",
    f"{REGNING}/Patient/Ident/TypeId": "behandlerkrav.regninger.pasient.identifikasjon.type",
    f"{BEHANDLING}/KodeEgenandel": "behandlerkrav.regninger.arsakFriEgenandel",
    f"{BEHANDLING}/Diagnose": "behandlerkrav.regninger.diagnoser",
    f"{BEHANDLING}/Diagnose/@S": "behandlerkrav.regninger.diagnoser.kodeverk",
    f"{BEHANDLING}/Diagnose/@V": "behandlerkrav.regninger.diagnoser.kode",
    f"{BEHANDLING}/Sykdomslistepunkt": "behandlerkrav.regninger.sjeldenMedisinskTilstand",
    f"{BEHANDLING}/HenvisningsDato": "behandlerkrav.regninger.henvisning.dato",
    f"{BEHANDLING}/HenvisningsId": "behandlerkrav.regninger.henvisning.id",
    f"{BEHANDLING}/HenvisningsDiagnose": "behandlerkrav.regninger.henvisning.diagnoser",
    f"{BEHANDLING}/HenvisningsDiagnose/@S": "behandlerkrav.regninger.henvisning.diagnoser.kodeverk",
    f"{BEHANDLING}/HenvisningsDiagnose/@V": "behandlerkrav.regninger.henvisning.diagnoser.kode",
    f"{BEHANDLING}/RelatertBehandler": "behandlerkrav.regninger.relatertBehandler",
    f"{BEHANDLING}/RelatertBehandler/Id": "behandlerkrav.regninger.henvisning.henvistFra.id",
    f"{BEHANDLING}/RelatertBehandler/TypeId": "behandlerkrav.regninger.henvisning.henvistFra.type",
    f"{BEHANDLING}/Behandlerident": "behandlerkrav.regninger.utforendeBehandler",
    f"{BEHANDLING}/Behandlerident/Id": "behandlerkrav.regninger.utforendeBehandler.identifikasjon.id",
    f"{BEHANDLING}/Behandlerident/TypeId": "behandlerkrav.regninger.utforendeBehandler.identifikasjon.type",
    f"{BEHANDLING}/Moderasjonskode": "behandlerkrav.regninger.moderasjonskode",
    f"{BEHANDLING}/Behandlingsform": "behandlerkrav.regninger.stonadspunkt",
    f"{BEHANDLING}/Takst": "behandlerkrav.regninger.takster",
    f"{BEHANDLING}/Takst/Verdi": "behandlerkrav.regninger.takster.belop",
    f"{BEHANDLING}/Takst/Kode": "behandlerkrav.regninger.takster.kode",
    f"{BEHANDLING}/Takst/Antall": "behandlerkrav.regninger.takster.antall",
    # NAV maps the bill's belop to Behandling.Refusjon; its message writes it inside SumKrav.
    f"{BEHANDLING}/SumKrav/Refusjon": "behandlerkrav.regninger.belop",
    # NAV maps antallRegninger and belop to Behandlerkrav.*; its message writes them inside Krav.
    f"{BKM}/Krav/AntallRegninger": "behandlerkrav.antallRegninger",
    f"{BKM}/Krav/SumKravSamlet": "behandlerkrav.belop",
}

GEN_DATE = dt.datetime(2024, 3, 5, 11, 0, 0, tzinfo=dt.UTC)


def paths(root: etree._Element) -> set[str]:
    """Every element path and attribute path (``…/@name``) under ``root``, by local names, without
    ``ds:Signature`` (NAV's message is signed, ours are compared before signing)."""
    found: set[str] = set()
    stack: list[tuple[etree._Element, str]] = [(root, "")]
    while stack:
        element, parent = stack.pop()
        name = etree.QName(element).localname
        if name == "Signature":
            continue
        here = f"{parent}/{name}" if parent else name
        found.add(here)
        found.update(f"{here}/@{etree.QName(attribute).localname}" for attribute in element.attrib)
        stack.extend((child, here) for child in element if isinstance(child.tag, str))
    return found


def unknown_paths(ours: Iterable[str], sample: set[str], described: Iterable[str]) -> list[str]:
    """The paths of ``ours`` that neither the sample nor the description has (module docstring)."""
    allowed = sample | set(described)
    attributes_by_element = {(path.rsplit("/", 2)[-2], path.rsplit("/@", 1)[1]) for path in sample if "/@" in path}
    unknown = []
    for path in ours:
        if path in allowed:
            continue
        if "/@" in path:
            element, attribute = path.rsplit("/@", 1)
            if element in allowed and (element.rsplit("/", 1)[-1], attribute) in attributes_by_element:
                continue
        unknown.append(path)
    return sorted(unknown)


def _bills(accounting_type: str) -> list[dict[str, Any]]:
    physio = accounting_type == "kommunalt-fellesoppgjor-fysioterapi"
    codes = ["F"] if physio else [code.value for code in ExemptionCode]
    bills = [
        bill(1, patient={"id": PATIENT, "givenName": "Kari", "middleName": "Hansen", "familyName": "Nordmann"},
             note="Merknad til regningen", tariffs=[{"code": "2ad", "amount": "196.00", "count": 1},
                                                    {"code": "701a", "amount": "60.00", "count": 2}],
             referral={"date": "2024-02-20", "id": "R-1",
                       "diagnosis": {"system": "ICPC-2", "code": "L03", "display": "Korsryggsymptomer"}}),
        bill(2, patient={"id": PATIENT_DNR}, credit=True),
        bill(3, credit=True, diagnoses=[]),
        bill(4, referral={"id": "R-2"}, diagnoses=[{"system": "ICPC-2", "code": "L03"}]),
    ]
    bills += [bill(10 + i, exemptionCode=code, patientSharePaid=False) for i, code in enumerate(codes)]
    if accounting_type.startswith("kommunalt-fellesoppgjor"):
        bills.append(bill(40, practitionerHpr=OTHER))
    return bills


def our_messages() -> list[etree._Element]:
    messages = []
    for accounting_type in ("standard", "kommunalt-enkeltoppgjor-lege", "kommunalt-fellesoppgjor-lege",
                            "kommunalt-fellesoppgjor-fysioterapi"):
        plan = check(parse(batch_dict(accounting_type, bills=_bills(accounting_type))))
        assert all(v.verdict.value == "included" for v in plan.verdicts), plan.verdicts
        messages.append(build_settlement_msghead(plan, sender=sender_party(), receiver=helfo_party(),
                                                 gen_date=GEN_DATE, msg_id=uuid.uuid4()))
    return messages


@needs_reference
def test_every_path_we_write_is_in_navs_message_or_navs_description() -> None:
    sample = paths(parse_xml(NAV_SAMPLE.read_bytes()))
    ours = set().union(*(paths(message) for message in our_messages()))
    assert unknown_paths(ours, sample, DESCRIBED) == []


@needs_reference
def test_the_walk_covers_what_the_description_allows_beyond_the_sample() -> None:
    ours = set().union(*(paths(message) for message in our_messages()))
    sample = paths(parse_xml(NAV_SAMPLE.read_bytes()))
    # What we write that only the description vouches for: the walk really reaches those paths.
    assert {f"{REGNING}/Merknad", f"{REGNING}/Patient/FamilyName", f"{REGNING}/Patient/GivenName",
            f"{BEHANDLING}/Behandlerident/Id", f"{BEHANDLING}/Behandlerident/TypeId/@V"} <= ours - sample


def _first(root: etree._Element, path: str) -> etree._Element:
    found = root.xpath(path, namespaces={"b": BKM_NS})
    assert isinstance(found, list) and isinstance(found[0], etree._Element)
    return found[0]


@needs_reference
def test_an_invented_element_or_attribute_is_listed() -> None:
    sample = paths(parse_xml(NAV_SAMPLE.read_bytes()))
    message = our_messages()[0]
    etree.SubElement(_first(message, "//b:SumKrav"), f"{{{BKM_NS}}}Egenandel", U="NOK", V="176.00")
    _first(message, "//b:Patient").insert(1, etree.Element(f"{{{BKM_NS}}}MiddleName"))
    _first(message, "//b:Takst/b:Kode").set("DN", "Konsultasjon")
    assert unknown_paths(paths(message), sample, DESCRIBED) == [
        f"{BEHANDLING}/SumKrav/Egenandel", f"{BEHANDLING}/SumKrav/Egenandel/@U", f"{BEHANDLING}/SumKrav/Egenandel/@V",
        f"{BEHANDLING}/Takst/Kode/@DN", f"{REGNING}/Patient/MiddleName"]


@needs_reference
def test_every_nav_field_the_mapping_cites_is_in_navs_description() -> None:
    text = NAV_DESCRIPTION.read_text(encoding="utf-8")
    fields = {field.removeprefix("behandlerkrav.") for field in DESCRIBED.values()}
    missing = sorted(field for field in fields if not all(
        re.search(rf'"{re.escape(part)}"\s*:', text) for part in field.split(".")))
    assert missing == []
