"""AppRec 1.0 parser on the real Helsenorge sample and on variants of it."""

from __future__ import annotations

import pytest
from lxml import etree

from adapters.outbound.apprec import AppRecStatus, parse_apprec
from gateway.primitives.errors import MalformedInput, Unprocessable
from gateway.primitives.resources import load_xsd
from tests.reference import NO_REFERENCE, REFERENCE

REAL_SAMPLE = REFERENCE / "samples" / "AppRec_v1_2004-11-21_helsenorge-messaging-test.xml"
APPREC_XSD = REFERENCE / "kith" / "AppRec-v1-2004-11-21.xsd"
needs_reference = pytest.mark.skipif(not REAL_SAMPLE.is_file(), reason=NO_REFERENCE)

NS = "http://www.kith.no/xmlstds/apprec/2004-11-21"


def apprec(status: str = '<Status V="2" DN="Avvist"/>', errors: str = "",
           original: str = "<OriginalMsgId><MsgType V=\"LOM\" DN=\"Legeoppgjørsmelding\"/>"
                           "<IssueDate>2024-03-05T12:00:00</IssueDate>"
                           "<Id>6b0f3c7e-3f0c-4f6e-9f7a-0d1c2b3a4f5e</Id></OriginalMsgId>",
           namespace: str = NS) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<AppRec xmlns="{namespace}">
  <MsgType V="APPREC"/>
  <MIGversion>1.0 2004-11-21</MIGversion>
  <GenDate>2024-03-05T12:05:00</GenDate>
  <Id>c0ffee00-0000-4000-8000-000000000001</Id>
  <Sender><HCP><Inst><Name>Helfo</Name><Id>79768</Id><TypeId V="HER" DN="HER-id"/></Inst></HCP></Sender>
  <Receiver><HCP><Inst><Name>Legekontoret</Name><Id>8100001</Id><TypeId V="HER" DN="HER-id"/>
  </Inst></HCP></Receiver>
  {status}
  {errors}
  {original}
</AppRec>""".encode()


@needs_reference
def test_real_helsenorge_sample() -> None:
    receipt = parse_apprec(REAL_SAMPLE.read_bytes())
    assert receipt.status is AppRecStatus.OK
    assert receipt.accepted
    assert receipt.status_text == "OK"
    assert receipt.id == "A76D8934-D4BA-4A22-8F5D-5DF5E3FC5756"
    assert receipt.original_msg_id == "de1a95c0-4d0c-11e7-9598-0800200c9a66"
    assert receipt.original_msg_type == "DIALOG_HELSEFAGLIG"
    assert receipt.original_issue_date == "2017-06-12T09:35:22"
    assert (receipt.sender.her_id, receipt.sender.department_her_id) == ("59", "90998")
    assert receipt.sender.name == "ST OLAVS HOSPITAL HF"
    assert receipt.sender.effective_her_id == "90998"
    assert (receipt.receiver.her_id, receipt.receiver.department_her_id) == ("56704", "258521")
    assert receipt.errors == ()


def test_rejection_with_errors() -> None:
    errors = ('<Error V="E10" S="2.16.578.1.12.4.1.1.8221" DN="Ugyldig fødselsnummer" OT="01018012372"/>'
              '<Error V="E35" DN="Mangler diagnose"/>')
    receipt = parse_apprec(apprec(errors=errors))
    assert receipt.status is AppRecStatus.REJECTED
    assert not receipt.accepted
    assert [(e.code, e.text, e.original_text) for e in receipt.errors] == [
        ("E10", "Ugyldig fødselsnummer", "01018012372"), ("E35", "Mangler diagnose", None)]
    assert receipt.errors[0].system == "2.16.578.1.12.4.1.1.8221"
    assert receipt.original_msg_id == "6b0f3c7e-3f0c-4f6e-9f7a-0d1c2b3a4f5e"
    assert receipt.original_msg_type == "LOM"
    assert receipt.sender.her_id == "79768" and receipt.sender.department_her_id is None
    assert receipt.sender.effective_her_id == "79768"
    assert receipt.receiver.her_id == "8100001"


def test_ok_with_errors_in_part_is_accepted() -> None:
    receipt = parse_apprec(apprec(status='<Status V="3"/>', errors='<Error V="X1" DN="Del avvist"/>'))
    assert receipt.status is AppRecStatus.OK_WITH_ERRORS
    assert receipt.accepted
    assert len(receipt.errors) == 1


@pytest.mark.skipif(not APPREC_XSD.is_file(), reason=NO_REFERENCE)
def test_the_variants_used_here_are_valid_apprecs() -> None:
    schema = load_xsd(APPREC_XSD)
    for data in (apprec(), apprec(status='<Status V="3"/>', errors='<Error V="X1" DN="Del avvist"/>')):
        assert schema.validate(etree.fromstring(data)), schema.error_log


@pytest.mark.parametrize(
    ("data", "error", "code"),
    [
        (apprec(namespace="http://www.kith.no/xmlstds/apprec/2012-02-15"), MalformedInput, "APPREC_NOT_APPREC"),
        (b"<MsgHead xmlns='http://www.kith.no/xmlstds/msghead/2006-05-24'/>", MalformedInput,
         "APPREC_NOT_APPREC"),
        (apprec(original=""), Unprocessable, "APPREC_ORIGINAL_MSG_ID_MISSING"),
        (apprec(original="<OriginalMsgId><MsgType V='LOM'/><IssueDate>2024-01-01T00:00:00</IssueDate>"
                         "<Id>  </Id></OriginalMsgId>"), Unprocessable, "APPREC_ORIGINAL_MSG_ID_MISSING"),
        (apprec(status='<Status V="4"/>'), Unprocessable, "APPREC_STATUS_INVALID"),
        (apprec(status='<Status V="OK"/>'), Unprocessable, "APPREC_STATUS_INVALID"),
        (apprec(status=""), Unprocessable, "APPREC_STATUS_INVALID"),
        (b"<AppRec xmlns='http://www.kith.no/xmlstds/apprec/2004-11-21'>", MalformedInput, "XML_MALFORMED"),
        (b'<!DOCTYPE AppRec [<!ENTITY x "y">]><AppRec/>', MalformedInput, "XML_DTD_FORBIDDEN"),
    ],
    ids=["other-namespace", "other-root", "no-original", "blank-original", "status-4", "status-text",
         "no-status", "not-well-formed", "doctype"],
)
def test_faulty_receipts_are_refused_with_stable_codes(data: bytes, error: type[Exception], code: str) -> None:
    with pytest.raises(error) as caught:
        parse_apprec(data)
    assert caught.value.code == code  # type: ignore[attr-defined]


def test_status_fault_names_the_message_it_answers() -> None:
    with pytest.raises(Unprocessable) as caught:
        parse_apprec(apprec(status='<Status V="9"/>'))
    assert caught.value.message_id == "6b0f3c7e-3f0c-4f6e-9f7a-0d1c2b3a4f5e"
