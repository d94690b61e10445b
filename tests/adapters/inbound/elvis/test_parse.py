"""Elvis group-visit adapter: messages into canonical events, contract rules with codes and locations."""

from __future__ import annotations

import datetime as dt

import pytest

from adapters.inbound import elvis
from gateway.bootstrap.inbound import inbound
from gateway.domain.groups import (
    AttendanceReported,
    CancelledBy,
    GroupSessionBooked,
    ParticipantCancelled,
    TelephoneContactReported,
    VisitRegistered,
)
from gateway.primitives.errors import NordgateError, Unprocessable
from gateway.primitives.identifiers import IdentifierKind
from tests.adapters.inbound.elvis.messages import (
    ELSA,
    LIAM,
    MAJA,
    NOAH,
    NS,
    attendance,
    cancellation,
    patient,
    registration,
    session_booking,
    telephone,
    visit,
)
from tests.conftest import SAMPLES

parse_message = inbound().registry.parse


def refused(body: bytes) -> NordgateError:
    with pytest.raises(NordgateError) as caught:
        parse_message(body, source="pas")
    return caught.value


def test_a_group_session_booking_with_its_patients() -> None:
    [event] = parse_message((SAMPLES / "elvis" / "01-group-session-booking-adhd-ung.xml").read_bytes(), source="pas")
    assert isinstance(event, GroupSessionBooked)
    assert (event.group_id, event.group_name, event.session_id, event.session_number) == (
        "BUP-SKAS-ADHD-UNG", "ADHD Ung", "ADHDUNG-2026H-1", 1)
    assert event.unit.kind is IdentifierKind.HSA_ID and event.unit_name == "BUP Skaraborg, Skövde"
    assert event.start.isoformat() == "2026-09-08T14:00:00+02:00" and event.end - event.start == dt.timedelta(hours=1.5)
    assert event.capacity == 6 and [leader.name for leader in event.leaders] == ["Karin Sjöberg", "Jonas Nyström"]
    assert [(p.patient.value, p.booking_id, p.secondary_booking) for p in event.patients] == [
        (ELSA, "BUP-1001", True), (LIAM, "BUP-1002", True), (MAJA, "BUP-1003", False), (NOAH, "BUP-1004", True)]
    assert event.patients[0].name is not None and event.patients[0].name.text == "Elsa Andersson"
    assert event.visit_type is not None and event.visit_type.code == "Nybesök"


def test_every_message_kind() -> None:
    [report] = elvis.parse(attendance((ELSA, True), (NOAH, False)), source="pas")
    assert isinstance(report, AttendanceReported)
    assert [(entry.patient.value, entry.attended) for entry in report.attendance] == [(ELSA, True), (NOAH, False)]
    assert report.attendance[1].location == "/AttendanceReport/patient[2]"
    visits = elvis.parse(registration(visit(ELSA, "Nybesök", extra="<patientFeeCode>P0</patientFeeCode>"
                                             "<actionCode>GRP</actionCode><reason>Grupp</reason>"),
                                       visit(NOAH, "U2")), source="pas")
    assert [type(event) for event in visits] == [VisitRegistered, VisitRegistered]
    first = visits[0]
    assert isinstance(first, VisitRegistered)
    assert (first.visit_type.code, first.fee_code, first.action_code, first.reason) == ("Nybesök", "P0", "GRP", "Grupp")
    [cancel] = elvis.parse(cancellation(by="guardian"), source="pas")
    assert isinstance(cancel, ParticipantCancelled) and cancel.cancelled_by is CancelledBy.GUARDIAN
    assert cancel.deviation == "Sjuk"
    [call] = elvis.parse(telephone("no-answer"), source="pas")
    assert isinstance(call, TelephoneContactReported) and call.answered is False and call.booking_id == "TEL-1"


def test_soap_wrapped_and_prefixed_messages_are_taken() -> None:
    inner = session_booking().decode().replace(f'<GroupSessionBooking xmlns="{NS}">', f'<ev:GroupSessionBooking '
                                               f'xmlns:ev="{NS}" xmlns="{NS}">').replace(
        "</GroupSessionBooking>", "</ev:GroupSessionBooking>")
    body = (f'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>{inner}</s:Body>'
            "</s:Envelope>").encode()
    [event] = parse_message(body, source="pas")
    assert isinstance(event, GroupSessionBooked)


def test_a_telephone_registration_is_p0_and_gena() -> None:
    [event] = elvis.parse(registration(visit(MAJA, "Tele")), source="pas")
    assert isinstance(event, VisitRegistered)
    assert (event.fee_code, event.payment_method) == ("P0", "Gena")
    error = refused(registration(visit(MAJA, "Tele", extra="<patientFeeCode>P1</patientFeeCode>")))
    assert error.code == "TELEPHONE_FEE_INVALID" and error.location == "/VisitRegistration/visit[1]"


@pytest.mark.parametrize("kind,quoted", [
    ("booking", "tidbokning och receptförnyelse"),
    ("prescription-renewal", "JO20"),
    ("phone-queue-callback", "telefonkö"),
])
def test_errand_calls_are_not_telephone_contacts(kind: str, quoted: str) -> None:
    error = refused(telephone(kind=kind))
    assert isinstance(error, Unprocessable) and error.code == "NOT_A_TELEPHONE_CONTACT"
    assert quoted in error.message and error.location == "/TelephoneContact/callKind"


@pytest.mark.parametrize("body,code,location", [
    (session_booking(capacity=0), "CAPACITY_INVALID", "/GroupSessionBooking/session/capacity"),
    (session_booking(capacity="sex"), "CAPACITY_INVALID", "/GroupSessionBooking/session/capacity"),
    (session_booking(patient(ELSA, "B-1", secondary="Y")), "SECONDARY_MARK_INVALID",
     "/GroupSessionBooking/session/patient[1]/secondaryBooking"),
    (session_booking(patient(ELSA, "B-1"), patient(ELSA, "B-2")), "PATIENT_REPEATED",
     "/GroupSessionBooking/session/patient[2]"),
    (session_booking(patient(ELSA, "B-1"), patient(LIAM, "B-1")), "BOOKING_ID_REPEATED",
     "/GroupSessionBooking/session/patient[2]/bookingId"),
    (session_booking(patient("201003121008", "B-1")), "SUBJECT_OF_CARE_CHECK_DIGIT",
     "/GroupSessionBooking/session/patient[1]/subject_of_care"),
    (session_booking(start="20260329023000", end="20260329040000"), "TIME_NONEXISTENT",
     "/GroupSessionBooking/session/startTimeInclusive"),
    (session_booking(start="20260908153000", end="20260908140000"), "TIMESLOT_END_BEFORE_START",
     "/GroupSessionBooking/session"),
    (session_booking().replace(b"<groupName>ADHD Ung</groupName>", b""), "ELEMENT_MISSING",
     "/GroupSessionBooking/group/groupName"),
    (session_booking(extra="<visitTypeName>Nybesök</visitTypeName><visitTypeName>x</visitTypeName>"),
     "ELEMENT_REPEATED", "/GroupSessionBooking/session/visitTypeName"),
    (attendance(), "ELEMENT_MISSING", "/AttendanceReport/patient"),
    (attendance((ELSA, True), (ELSA, False)), "PATIENT_REPEATED", "/AttendanceReport/patient[2]"),
    (attendance((ELSA, True)).replace(b"true", b"ja"), "BOOLEAN_MALFORMED", "/AttendanceReport/patient[1]/attended"),
    (registration(), "ELEMENT_MISSING", "/VisitRegistration/visit"),
    (registration(visit(ELSA, "")), "ELEMENT_MISSING", "/VisitRegistration/visit[1]/visitTypeCode"),
    (cancellation(by="doctor"), "CANCELLED_BY_UNKNOWN", "/Cancellation/cancelledBy"),
    (cancellation(deviation=""), "ELEMENT_MISSING", "/Cancellation/deviation"),
    (telephone(kind="chat"), "CALL_KIND_UNKNOWN", "/TelephoneContact/callKind"),
    (telephone("busy"), "OUTCOME_UNKNOWN", "/TelephoneContact/outcome"),
    (telephone(extra="<smsReminder>true</smsReminder>"), "SMS_REMINDER_NOT_ALLOWED", "/TelephoneContact/smsReminder"),
    (telephone(booking_id=""), "ELEMENT_MISSING", "/TelephoneContact/bookingId"),
    (telephone().replace(b"SE2321000131-P000000022224", b"P22224"), "HSA_ID_INVALID", "/TelephoneContact/performer"),
    (f'<Unknown xmlns="{NS}"/>'.encode(), "MESSAGE_TYPE_UNSUPPORTED", "/Unknown"),
])
def test_contract_rules(body: bytes, code: str, location: str) -> None:
    error = refused(body)
    assert isinstance(error, Unprocessable)
    assert (error.code, error.location) == (code, location), error.message


def test_another_namespace_is_not_elvis() -> None:
    error = refused(b'<GroupSessionBooking xmlns="urn:other"/>')
    assert error.code == "FORMAT_UNKNOWN" and "Elvis group visit" in error.message
    with pytest.raises(Unprocessable) as caught:
        elvis.parse(b'<GroupSessionBooking xmlns="urn:other"/>', source="pas")
    assert caught.value.code == "FORMAT_UNKNOWN"


def test_hostile_xml_is_refused_before_the_adapter() -> None:
    body = b'<!DOCTYPE x [<!ENTITY e "e">]>' + session_booking()
    assert refused(body).code == "XML_DTD_FORBIDDEN"
