"""Regression tests, one per finding of the hostile corpus and the fuzzing, each
named after what was wrong."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from adapters.outbound.apprec import parse_apprec
from adapters.outbound.signing.verify import verify_msghead
from gateway.bootstrap.inbound import inbound
from gateway.primitives.errors import MalformedInput, Unprocessable
from gateway.primitives.jsonsafe import decode_json
from gateway.primitives.xmlsafe import parse_xml
from tests.gateway.settlement.service.helpers import anchors, apprec, batch, bill, to_bytes

from .generators import MSG_ID, signed_message

parse_message = inbound().registry.parse

REPO = Path(__file__).resolve().parents[2]
ELVIS = (REPO / "samples" / "elvis" / "01-group-session-booking-adhd-ung.xml").read_bytes()
BARE = (REPO / "samples" / "crm-scheduling" / "02-make-booking-bare-default-namespace.xml").read_bytes()
XML = {"Content-Type": "application/xml"}
JSON = {"Content-Type": "application/json"}


# --- Elvis numbers: str.isdigit() is not "ASCII digits", and int() has a limit -----------------------


@pytest.mark.parametrize(("old", "new", "code"), [
    (b"<capacity>6<", "<capacity>²<".encode(), "CAPACITY_INVALID"),  # isdigit() true, int() raised: 500
    (b"<capacity>6<", "<capacity>٦<".encode(), "CAPACITY_INVALID"),  # read as 6
    (b"<capacity>6<", b"<capacity>" + b"9" * 5000 + b"<", "CAPACITY_INVALID"),  # over int()'s 4,300 digits: 500
    (b"<sessionNumber>1<", b"<sessionNumber>" + b"9" * 20 + b"<", "SESSION_NUMBER_INVALID"),  # over 64 bits
], ids=["superscript", "arabic-indic", "5000-digits", "20-digits"])
def test_elvis_number_with_non_ascii_or_too_many_digits_is_422_not_500(old: bytes, new: bytes, code: str) -> None:
    with pytest.raises(Unprocessable) as caught:
        parse_message(ELVIS.replace(old, new), source="pas")
    assert caught.value.code == code


def test_elvis_session_number_over_64_bits_is_422_through_the_api(client: TestClient) -> None:
    body = ELVIS.replace(b"<sessionNumber>1<", b"<sessionNumber>" + b"9" * 20 + b"<")
    response = client.post("/bookings", content=body, headers=XML)
    assert response.status_code == 422
    assert response.json()["issue"][0]["details"]["coding"][0]["code"] == "SESSION_NUMBER_INVALID"
    assert client.post("/bookings", content=ELVIS, headers=XML).status_code == 200  # nine digits and fewer still do


# --- JSON strings: valid escapes of characters no XML or FHIR string can carry ------------------------


@pytest.mark.parametrize(("text", "location"), [
    ('{"a": {"note": "x\\ud800y"}}', "/a/note"),
    ('{"a": ["ok", "x\\u0000"]}', "/a/1"),
    ('{"a": "\\u001b[2J"}', "/a"),
    ('{"x\\udfff": 1}', "/"),
    ('{"a": "\ufffe"}', "/a"),
], ids=["lone-surrogate", "nul", "escape", "surrogate-in-key", "raw-u-fffe"])
def test_json_string_with_a_character_xml_cannot_carry_is_400_with_its_pointer(text: str, location: str) -> None:
    with pytest.raises(MalformedInput) as caught:
        decode_json(text.encode("utf-8"), max_bytes=1000, prefix="BATCH", what="batch")
    assert caught.value.code == "BATCH_JSON_CHARACTER_INVALID"
    assert caught.value.location == location


def test_json_tab_newline_surrogate_pairs_and_escaped_backslashes_are_still_taken() -> None:
    text = '{"a": "\\t\\n\\r", "b": "\\ud83d\\ude00", "c": "\\\\u0000 is text", "d": "\\uFFFD"}'
    assert decode_json(text.encode(), max_bytes=1000, prefix="BATCH", what="batch") == {
        "a": "\t\n\r", "b": "\U0001f600", "c": "\\u0000 is text", "d": "\ufffd"}


@pytest.mark.parametrize("note", ["a\u0000b", "\ud83d", "a\ufffeb", "Berit\u001b[2J"],
                         ids=["nul", "half-emoji", "u-fffe", "ansi-escape"])
def test_settlement_note_xml_cannot_carry_is_400_not_500(client: TestClient, note: str) -> None:
    body = json.dumps(batch([bill(1, note=note)]), ensure_ascii=False).encode("utf-8", "surrogatepass")
    body = body if note != "\ud83d" else to_bytes(batch([bill(1, note=note)]))  # the escape: valid UTF-8 JSON
    response = client.post("/settlements", content=body, headers=JSON)
    assert response.status_code == 400
    assert response.json()["issue"][0]["details"]["coding"][0]["code"] == "BATCH_JSON_CHARACTER_INVALID"


def test_group_event_with_nul_in_note_is_400_before_it_reaches_the_store(client: TestClient) -> None:
    event = json.loads((REPO / "samples" / "group-appointments" / "01-created.json").read_text(encoding="utf-8"))
    response = client.post("/bookings", content=json.dumps({**event, "note": "a\u0000b"}).encode(), headers=JSON)
    assert response.status_code == 400
    assert response.json()["issue"][0]["details"]["coding"][0]["code"] == "EVENT_JSON_CHARACTER_INVALID"


# --- Content-Length: int() of thousands of digits raised -------------------------------------------------


def test_content_length_of_5000_digits_is_413_not_500(client: TestClient) -> None:
    response = client.post("/bookings", content=b"<a/>", headers={**XML, "Content-Length": "1" * 5000})
    assert response.status_code == 413
    assert response.json()["issue"][0]["details"]["coding"][0]["code"] == "PAYLOAD_TOO_LARGE"


def test_content_length_with_non_ascii_digits_is_400(client: TestClient) -> None:
    response = client.post("/bookings", content=b"<a/>", headers={"Content-Type": "application/xml",
                                                                  "Content-Length": b"\xb2"})
    assert response.status_code == 400
    assert response.json()["issue"][0]["details"]["coding"][0]["code"] == "CONTENT_LENGTH_INVALID"


# --- verify: a comment in signed text verifies (C14N drops it) and truncated the reported value ---------


@pytest.mark.parametrize(("old", "new"), [
    (b"<MsgId>5f0c", b"<MsgId>5f0c<!-- -->"), (b"<MsgId>5f0c", b"<MsgId><!-- -->5f0c"),
], ids=["inside", "before"])
def test_verify_reports_the_whole_msg_id_when_a_comment_splits_it(old: bytes, new: bytes) -> None:
    report = verify_msghead(signed_message().replace(old, new, 1), trust_anchors=anchors())
    assert report.valid, report.codes  # comments are not signed content: still valid ...
    assert report.signed is not None
    assert report.signed.msg_id == MSG_ID  # ... and the report says what was signed, not "5f0c"
    assert report.signed.gen_date == "2025-03-04T10:15:00"


def test_verify_reports_the_whole_her_id_when_a_comment_splits_it() -> None:
    report = verify_msghead(signed_message().replace(b"<Id>876", b"<Id>876<!--x-->", 1), trust_anchors=anchors())
    assert report.valid and report.signed is not None
    assert report.signed.sender_her_ids == ["8765432"]


# --- AppRec: a repeated OriginalMsgId or Status silently took the first -----------------------------------


@pytest.mark.parametrize(("old", "new", "location"), [
    (b"<OriginalMsgId>", b"<OriginalMsgId><Id>other</Id></OriginalMsgId><OriginalMsgId>", "/AppRec/OriginalMsgId"),
    (b"</OriginalMsgId>", b"<Id>other</Id></OriginalMsgId>", "/AppRec/OriginalMsgId/Id"),
    (b'<Status V="1" DN="s"/>', b'<Status V="1" DN="s"/><Status V="2"/>', "/AppRec/Status"),
], ids=["original-msg-id", "id", "status"])
def test_apprec_with_a_repeated_original_msg_id_or_status_is_refused(old: bytes, new: bytes, location: str) -> None:
    data = apprec(MSG_ID)
    assert old in data
    with pytest.raises(Unprocessable) as caught:
        parse_apprec(data.replace(old, new, 1))
    assert (caught.value.code, caught.value.location) == ("APPREC_ELEMENT_REPEATED", location)
    assert parse_apprec(data).original_msg_id == MSG_ID


# --- XML encodings: a declaration contradicting the bytes was quietly overruled by libxml2 ---------------


TEXT = BARE.decode("utf-8")


@pytest.mark.parametrize("data", [
    TEXT.encode("utf-16"),  # UTF-16 BOM, declared UTF-8
    TEXT.encode("utf-32-le"),  # UTF-32 without BOM, declared UTF-8
    b"\xef\xbb\xbf" + TEXT.replace('encoding="UTF-8"', 'encoding="ISO-8859-1"').encode(),
    TEXT.replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-32"),
], ids=["utf16-bom-utf8-declared", "utf32-utf8-declared", "utf8-bom-latin1-declared", "utf32-bom-utf16-declared"])
def test_xml_whose_declared_encoding_contradicts_its_bytes_is_refused(data: bytes) -> None:
    with pytest.raises(MalformedInput) as caught:
        parse_xml(data)
    assert caught.value.code == "XML_ENCODING_MISMATCH"


@pytest.mark.parametrize("data", [
    TEXT.replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16"),
    TEXT.replace('encoding="UTF-8"', 'encoding="utf-16le"').encode("utf-16-le"),
    TEXT.replace('encoding="UTF-8"', 'encoding="UTF-32"').encode("utf-32"),
    b"\xef\xbb\xbf" + BARE,
    TEXT.split("?>", 1)[1].encode("utf-16"),  # no declaration: the BOM alone decides
], ids=["utf16", "utf16le-no-bom", "utf32", "utf8-bom", "utf16-undeclared"])
def test_xml_whose_declared_encoding_matches_its_bytes_is_still_read(data: bytes) -> None:
    assert parse_xml(data).tag == "{urn:riv:crm:scheduling:MakeBookingResponder:1}MakeBooking"


# --- the DOCTYPE byte wall missed UTF-32, so libxml2 started expanding the bomb ------------------------


def test_utf32_doctype_is_refused_by_the_byte_wall_before_libxml2_parses_it(monkeypatch: pytest.MonkeyPatch) -> None:
    def never(*_: object, **__: object) -> None:
        raise AssertionError("libxml2 was given a document with a DOCTYPE")

    monkeypatch.setattr("gateway.primitives.xmlsafe.etree.fromstring", never)
    for codec in ("utf-32", "utf-32-le", "utf-32-be", "utf-16-be"):
        data = '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "b">]><r>&a;</r>'.encode(codec)
        with pytest.raises(MalformedInput) as caught:
            parse_xml(data)
        assert caught.value.code == "XML_DTD_FORBIDDEN", codec
