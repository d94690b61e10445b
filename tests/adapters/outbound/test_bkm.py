"""BehandlerKrav builder: exact content by XPath, order as in the real NAV message, the subset XSD."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
from decimal import Decimal
from importlib.metadata import version

import pytest
from lxml import etree

from adapters.outbound.bkm import BKM_NS, build_behandlerkrav, norwegian_time
from gateway.primitives.resources import load_xsd, schemas_dir
from gateway.primitives.xmlsafe import parse_xml
from gateway.settlement.batch import parse_batch
from gateway.settlement.rules import check
from tests.gateway.settlement.factories import (
    OTHER,
    PATIENT,
    PATIENT_DNR,
    SIGNER,
    batch_dict,
    bill,
    parse,
    sample_paths,
)
from tests.reference import NO_REFERENCE, REFERENCE

NS = {"b": BKM_NS}
REAL_SAMPLE = REFERENCE / "samples" / "BKM_POM_signed_MsgHead_navikt-ebxml-processor.xml"


def subset_xsd() -> etree.XMLSchema:
    return load_xsd(schemas_dir() / "bkm-2006-12-20-subset.xsd")


def one(root: etree._Element, path: str) -> etree._Element:
    found = root.xpath(path, namespaces=NS)
    assert isinstance(found, list) and len(found) == 1, f"{path}: {found}"
    element = found[0]
    assert isinstance(element, etree._Element)
    return element


def build(doc: dict, **kwargs) -> etree._Element:  # type: ignore[type-arg]
    return build_behandlerkrav(check(parse(doc)), **kwargs)


def test_root_carries_namespace_epj_name_and_version_and_account() -> None:
    root = build(batch_dict(), epj_version="9.9.9")
    assert root.tag == f"{{{BKM_NS}}}BehandlerKrav"
    assert (root.get("navnEPJ"), root.get("versjonEPJ")) == ("nordgate", "9.9.9")
    assert one(root, "b:Konto").text == "15031234562"


def test_versjon_epj_defaults_to_the_package_version() -> None:
    assert build(batch_dict()).get("versjonEPJ") == version("nordgate")


def test_one_enkeltregning_per_included_bill_with_every_field() -> None:
    doc = batch_dict("kommunalt-fellesoppgjor-lege", bills=[
        bill(1, patient={"id": PATIENT, "givenName": "Ola", "familyName": "Nordmann"}, note="merk",
             tariffs=[{"code": "2ad", "amount": "196.00", "count": 1},
                      {"code": "701a", "amount": "60.00", "count": 2}],
             referral={"date": "2024-02-20", "id": "R-1",
                       "diagnosis": {"system": "ICD-10", "code": "M545", "display": "Lumbago"}}),
        bill(2, practitionerHpr="7654321"),  # refused: not chosen
        bill(3, practitionerHpr=OTHER, patient={"id": PATIENT_DNR}, exemptionCode="F",
             patientSharePaid=False, patientShare="0.00", credit=True),
    ])
    root = build(doc)
    regninger = root.findall("b:Enkeltregning", NS)
    assert [one(r, "b:RegningNr").text for r in regninger] == ["1", "3"]
    first, third = regninger
    assert one(first, "b:Guid").text == "{00000000-0000-4000-8000-000000000001}"
    assert one(first, "b:BetaltEgenandel").attrib == {"erBetalt": "true", "korrigering": "false"}
    assert one(first, "b:Kreditering").text == "false"
    assert one(first, "b:DatoTid").text == "2024-03-04T09:15:00+01:00"
    assert one(first, "b:Merknad").text == "merk"
    assert one(first, "b:Patient/b:FamilyName").text == "Nordmann"
    assert one(first, "b:Patient/b:GivenName").text == "Ola"
    assert one(first, "b:Patient/b:Ident/b:Id").text == PATIENT
    assert one(first, "b:Patient/b:Ident/b:TypeId").attrib == {
        "V": "FNR", "S": "2.16.578.1.12.4.1.1.8116", "DN": "Fødselsnummer"}
    assert first.find("b:Behandling/b:KodeEgenandel", NS) is None
    assert one(first, "b:Behandling/b:Diagnose").attrib == {
        "S": "2.16.578.1.12.4.1.1.7170", "V": "R74", "DN": "Akutt øvre luftveisinfeksjon"}
    assert one(first, "b:Behandling/b:HenvisningsDato").text == "2024-02-20"
    assert one(first, "b:Behandling/b:HenvisningsId").text == "R-1"
    assert one(first, "b:Behandling/b:HenvisningsDiagnose").get("S") == "2.16.578.1.12.4.1.1.7110"
    assert one(first, "b:Behandling/b:Behandlerident/b:Id").text == SIGNER
    assert one(first, "b:Behandling/b:Behandlerident/b:TypeId").get("V") == "HPR"
    takster = first.findall("b:Behandling/b:Takst", NS)
    assert [(one(t, "b:Kode").text, one(t, "b:Verdi").get("V"), one(t, "b:Antall").text) for t in takster] == [
        ("2ad", "196.00", "1"), ("701a", "60.00", "2")]
    assert one(first, "b:Behandling/b:Takst[1]/b:Verdi").get("U") == "NOK"
    assert [etree.QName(c).localname for c in one(first, "b:Behandling/b:SumKrav")] == ["Refusjon"]
    assert one(first, "b:Behandling/b:SumKrav/b:Refusjon").attrib == {"U": "NOK", "V": "140.00"}

    assert one(third, "b:Kreditering").text == "true"
    assert one(third, "b:BetaltEgenandel").get("erBetalt") == "false"
    assert one(third, "b:Patient/b:Ident/b:TypeId").get("V") == "DNR"
    assert one(third, "b:Behandling/b:KodeEgenandel").attrib == {"V": "F", "DN": "Frikort"}
    assert one(third, "b:Behandling/b:Behandlerident/b:Id").text == OTHER
    assert one(third, "b:Behandling/b:SumKrav/b:Refusjon").get("V") == "-196.00"  # a credit: negative

    assert one(root, "b:Krav/b:AntallRegninger").text == "2"
    assert one(root, "b:Krav/b:SumKravSamlet").attrib == {"U": "NOK", "V": "-56.00"}
    assert subset_xsd().validate(root), subset_xsd().error_log


def test_element_order_follows_the_real_message() -> None:
    root = build(batch_dict(bills=[bill(1, note="n", exemptionCode="F", patientSharePaid=False,
                                        referral={"date": "2024-01-01", "id": "9",
                                                  "diagnosis": {"system": "ICPC-2", "code": "P99"}})]))
    assert [etree.QName(c).localname for c in root] == ["Konto", "Enkeltregning", "Krav"]
    regning = one(root, "b:Enkeltregning")
    assert [etree.QName(c).localname for c in regning] == [
        "Guid", "BetaltEgenandel", "Kreditering", "RegningNr", "DatoTid", "Merknad", "Patient", "Behandling"]
    assert [etree.QName(c).localname for c in one(regning, "b:Behandling")] == [
        "KodeEgenandel", "Diagnose", "HenvisningsDato", "HenvisningsId", "HenvisningsDiagnose",
        "Behandlerident", "Takst", "SumKrav"]


def test_physio_bills_report_the_patient_share_with_documented_fields_only() -> None:
    doc = batch_dict("kommunalt-fellesoppgjor-fysioterapi", bills=[
        bill(1, patientShare="218.00", tariffs=[{"code": "A2a", "amount": "282.00", "count": 1}]),
        bill(2, patientShare="218.00", patientSharePaid=False, exemptionCode="F",
             tariffs=[{"code": "A2a", "amount": "282.00", "count": 1}]),
    ])
    root = build(doc)
    regninger = root.findall("b:Enkeltregning", NS)
    # paid share: erBetalt true counts it toward the frikort; frikort: KodeEgenandel F, share in Refusjon
    assert [(one(r, "b:BetaltEgenandel").get("erBetalt"),
             r.xpath("string(b:Behandling/b:KodeEgenandel/@V)", namespaces=NS),
             one(r, "b:Behandling/b:SumKrav/b:Refusjon").get("V")) for r in regninger] == [
        ("true", "", "0.00"), ("false", "F", "218.00")]
    assert root.xpath("//b:Egenandel", namespaces=NS) == []
    assert one(root, "b:Krav/b:SumKravSamlet").get("V") == "218.00"


def test_kommunal_fysioterapi_bills_carry_no_diagnose_but_the_practitioner() -> None:
    root = build(batch_dict("kommunalt-fellesoppgjor-fysioterapi", bills=[
        bill(1, referral={"date": "2024-02-20", "id": "R-1"})]))
    assert root.xpath("//b:Diagnose", namespaces=NS) == []
    assert one(root, "b:Enkeltregning/b:Behandling/b:HenvisningsId").text == "R-1"
    assert one(root, "b:Enkeltregning/b:Behandling/b:Behandlerident/b:Id").text == SIGNER


def test_a_doctors_bill_carries_its_diagnoses_with_navs_code_system_oids() -> None:
    root = build(batch_dict("standard", bills=[bill(1, diagnoses=[
        {"system": "ICPC-2", "code": "R74"}, {"system": "ICD-10", "code": "J069"}])]))
    assert [(d.get("S"), d.get("V")) for d in root.xpath("//b:Diagnose", namespaces=NS)] == [
        ("2.16.578.1.12.4.1.1.7170", "R74"), ("2.16.578.1.12.4.1.1.7110", "J069")]


def test_credit_bills_are_negative_and_the_refunds_add_up_to_sum_krav_samlet() -> None:
    root = build(batch_dict("standard", bills=[bill(1), bill(2, credit=True), bill(3, credit=True)]))
    refunds = [Decimal(v) for v in root.xpath("//b:SumKrav/b:Refusjon/@V", namespaces=NS)]
    assert refunds == [Decimal("20.00"), Decimal("-20.00"), Decimal("-20.00")]
    assert Decimal(one(root, "b:Krav/b:SumKravSamlet").get("V") or "") == sum(refunds) == Decimal("-20.00")
    assert one(root, "b:Krav/b:AntallRegninger").text == "3"
    assert subset_xsd().validate(root), subset_xsd().error_log


def test_every_bill_gets_its_guid_in_braces_as_navs_xml_writes_it() -> None:
    root = build(batch_dict(bills=[bill(1, guid="{6F1C2A70-5D0E-4A8E-9B3C-1F2E3D4C5B01}"),
                                   bill(2, guid="6f1c2a70-5d0e-4a8e-9b3c-1f2e3d4c5b02")]))
    assert root.xpath("//b:Guid/text()", namespaces=NS) == [
        "{6f1c2a70-5d0e-4a8e-9b3c-1f2e3d4c5b01}", "{6f1c2a70-5d0e-4a8e-9b3c-1f2e3d4c5b02}"]


def test_a_middle_name_goes_into_given_name_as_nav_knows_no_middle_name() -> None:
    root = build(batch_dict(bills=[bill(1, patient={"id": PATIENT, "givenName": "Kari", "middleName": "Hansen",
                                                    "familyName": "Nordmann"})]))
    patient = one(root, "b:Enkeltregning/b:Patient")
    assert [etree.QName(c).localname for c in patient] == ["FamilyName", "GivenName", "Ident"]
    assert one(patient, "b:GivenName").text == "Kari Hansen"


@pytest.mark.parametrize(("code", "name"), [("Y", "Yrkesskade"), ("A", "Smittefarlig sykdom"), ("F", "Frikort")])
def test_kode_egenandel_carries_the_code_and_its_meaning(code: str, name: str) -> None:
    root = build(batch_dict(bills=[bill(1, exemptionCode=code, patientSharePaid=False)]))
    assert one(root, "b:Enkeltregning/b:Behandling/b:KodeEgenandel").attrib == {"V": code, "DN": name}
    assert subset_xsd().validate(root), subset_xsd().error_log


def test_dates_are_norwegian_wall_clock_time_with_offset() -> None:
    assert norwegian_time(dt.datetime(2024, 7, 1, 6, 30, 15, 999, tzinfo=dt.UTC)) == "2024-07-01T08:30:15+02:00"
    assert norwegian_time(dt.datetime(2024, 1, 1, 6, 30, tzinfo=dt.UTC)) == "2024-01-01T07:30:00+01:00"
    with pytest.raises(ValueError):
        norwegian_time(dt.datetime(2024, 1, 1, 6, 30))


def test_same_plan_gives_byte_identical_xml() -> None:
    plan = check(parse(batch_dict(bills=[bill(1), bill(2)])))
    assert etree.tostring(build_behandlerkrav(plan)) == etree.tostring(build_behandlerkrav(plan))


@pytest.mark.parametrize("path", sample_paths(), ids=lambda p: p.name)
def test_every_sample_batch_builds_a_behandlerkrav_valid_against_the_subset_xsd(path) -> None:
    plan = check(parse_batch(path.read_bytes()))
    root = build_behandlerkrav(plan)
    assert subset_xsd().validate(root), subset_xsd().error_log
    assert len(root.findall("b:Enkeltregning", NS)) == plan.totals.bill_count
    assert Decimal(one(root, "b:Krav/b:SumKravSamlet").get("V") or "") == plan.totals.sum_claimed


def test_subset_xsd_refuses_what_the_builder_must_never_emit() -> None:
    root = build(batch_dict())
    broken = copy.deepcopy(root)
    broken.remove(one(broken, "b:Krav"))
    assert not subset_xsd().validate(broken)
    wrong_amount = copy.deepcopy(root)
    one(wrong_amount, "b:Krav/b:SumKravSamlet").set("V", "12.5")
    assert not subset_xsd().validate(wrong_amount)
    swapped = copy.deepcopy(root)
    regning = one(swapped, "b:Enkeltregning")
    regning.insert(0, one(regning, "b:RegningNr"))
    assert not subset_xsd().validate(swapped)


@pytest.mark.skipif(not REAL_SAMPLE.is_file(), reason=NO_REFERENCE)
def test_the_real_nav_behandlerkrav_validates_against_the_subset_xsd() -> None:
    root = parse_xml(REAL_SAMPLE.read_bytes())
    claim = one(root, "//b:BehandlerKrav")
    assert subset_xsd().validate(claim), subset_xsd().error_log
    assert len(claim.findall("b:Enkeltregning", NS)) == 2


def test_defective_bill_cannot_be_built_even_if_forced_into_a_plan() -> None:
    plan = check(parse(batch_dict()))
    bad_bill = dataclasses.replace(plan.included[0].bill, date_time=None)
    forced = dataclasses.replace(plan, included=(dataclasses.replace(plan.included[0], bill=bad_bill),))
    with pytest.raises(ValueError, match="defects"):
        build_behandlerkrav(forced)
