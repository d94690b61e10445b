"""The crm:scheduling adapter: every message, bare or in SOAP, any prefixes; contract rules enforced."""

from __future__ import annotations

import pytest

from adapters.inbound import crm_scheduling
from gateway.domain.booking import BookingAction
from gateway.primitives.errors import MalformedInput, Unprocessable
from gateway.primitives.identifiers import IdentifierKind
from tests.adapters.inbound.crm_scheduling.messages import (
    cancel_booking,
    make_booking,
    schedule_response,
    soap,
    timeslot,
    update_booking,
)


def test_make_booking_becomes_one_make_event_with_everything_read() -> None:
    extra = ("<core:performer>SE2321000131-P000000000123</core:performer><core:purpose>Uppföljning</core:purpose>"
             "<core:timeTypeName>Återbesök</core:timeTypeName><core:timeTypeID>ATB</core:timeTypeID>"
             "<core:cancel_booking_allowed>true</core:cancel_booking_allowed>"
             "<core:rebooking_allowed>0</core:rebooking_allowed>")
    [event] = crm_scheduling.parse(make_booking(timeslot(extra=extra)), source="pas")
    booking = event.booking
    assert event.action is BookingAction.MAKE and event.source == "pas"
    assert booking is not None
    assert booking.booking_id == "B-1"
    assert booking.patient is not None and booking.patient.kind is IdentifierKind.PERSONNUMMER
    assert booking.patient_name is not None and booking.patient_name.text == "Tolvan Tolvansson"
    assert booking.start is not None and booking.start.isoformat() == "2026-12-01T09:30:00+01:00"
    assert booking.performer is not None and booking.performer.value == "SE2321000131-P000000000123"
    assert booking.time_type is not None and (booking.time_type.code, booking.time_type.display) == ("ATB", "Återbesök")
    assert (booking.cancel_booking_allowed, booking.rebooking_allowed, booking.message_allowed) == (True, False, None)
    assert event.key == ("SE2321000131-E000000000001", "B-1")


@pytest.mark.parametrize("wrap", [lambda b: b, soap, lambda b: soap(b, "http://www.w3.org/2003/05/soap-envelope")],
                         ids=["bare", "soap11", "soap12"])
@pytest.mark.parametrize("prefix", ["core", "ns2", ""], ids=["core", "ns2", "default-namespace"])
def test_envelope_and_prefixes_do_not_matter(wrap: object, prefix: str) -> None:
    if prefix:
        body = make_booking(timeslot(prefix=prefix), prefix=prefix)
    else:  # children in the core namespace as the default namespace of the timeslot
        core = '<startTimeInclusive xmlns="urn:riv:crm:scheduling:1">'
        slot = timeslot(prefix="").replace("<startTimeInclusive>", core)
        body = make_booking(slot)
    [event] = crm_scheduling.parse(wrap(body), source="pas")  # type: ignore[operator]
    assert event.booking is not None and event.booking.booking_id == "B-1"


def test_open_invitation_has_no_times_and_is_marked() -> None:
    [event] = crm_scheduling.parse(make_booking(timeslot(start=None, end=None, invitation=True)), source="pas")
    assert event.booking is not None and event.booking.is_invitation and event.booking.start is None


def test_an_invitation_with_times_is_refused() -> None:
    with pytest.raises(Unprocessable) as caught:
        crm_scheduling.parse(make_booking(timeslot(invitation=True)), source="pas")
    assert caught.value.code == "INVITATION_HAS_TIME"


@pytest.mark.parametrize("body,code", [
    (make_booking(timeslot(start=None, end=None)), "TIMESLOT_TIME_MISSING"),
    (make_booking(timeslot(end=None)), "TIMESLOT_INCOMPLETE"),
    (make_booking(timeslot(start="20261201100000", end="20261201093000")), "TIMESLOT_END_BEFORE_START"),
    (make_booking(timeslot(booking_id="")), "BOOKING_ID_MISSING"),
    (make_booking(timeslot(subject=None)), "SUBJECT_OF_CARE_MISSING"),
    (make_booking(timeslot(subject="191212121213")), "SUBJECT_OF_CARE_CHECK_DIGIT"),
    (make_booking(timeslot(subject="19121212")), "SUBJECT_OF_CARE_INVALID"),
    (make_booking(names=False), "ELEMENT_MISSING"),
    (make_booking(timeslot(start="20260329023000", end="20260329030000")), "TIME_NONEXISTENT"),
    (make_booking(timeslot(extra="<core:cancel_booking_allowed>yes</core:cancel_booking_allowed>")),
     "BOOLEAN_MALFORMED"),
    (make_booking(timeslot().replace("SE2321000131-E000000000001", "not-an-hsa-id")), "HSA_ID_INVALID"),
    (update_booking(timeslot(start=None, end=None)), "TIMESLOT_TIME_MISSING"),
    (update_booking(timeslot(start=None, end=None, invitation=True)), "UPDATE_MARKED_AS_INVITATION"),
    (b'<GetBookingDetailsResponse xmlns="urn:riv:crm:scheduling:GetBookingDetailsResponder:1"/>', "ELEMENT_MISSING"),
    (b'<MakeBookingResponse xmlns="urn:riv:crm:scheduling:MakeBookingResponder:1"/>', "MESSAGE_TYPE_UNSUPPORTED"),
    (b'<MakeBooking xmlns="urn:example:other"/>', "FORMAT_UNKNOWN"),
])
def test_contract_rules_are_enforced_with_stable_codes(body: bytes, code: str) -> None:
    with pytest.raises(Unprocessable) as caught:
        crm_scheduling.parse(body, source="pas")
    assert caught.value.code == code
    assert caught.value.http_status == 422
    assert caught.value.location


def test_samordningsnummer_and_reserve_numbers_are_classified() -> None:
    [co] = crm_scheduling.parse(make_booking(timeslot(subject="197010632391")), source="pas")
    [reserve] = crm_scheduling.parse(make_booking(timeslot(subject="20120312T123")), source="pas")
    assert co.booking is not None and co.booking.patient is not None
    assert co.booking.patient.kind is IdentifierKind.SAMORDNINGSNUMMER
    assert reserve.booking is not None and reserve.booking.patient is not None
    assert reserve.booking.patient.kind is IdentifierKind.RESERVNUMMER


def test_cancel_and_schedule_responses() -> None:
    [cancel] = crm_scheduling.parse(cancel_booking(), source="1177")
    assert cancel.action is BookingAction.CANCEL and cancel.cancellation is not None
    assert cancel.cancellation.message == "Kan inte komma"
    events = crm_scheduling.parse(schedule_response(timeslot("A"), timeslot("B"),
                                                    timeslot("C", start=None, end=None, invitation=True)), source="pas")
    assert [e.booking.booking_id for e in events if e.booking] == ["A", "B", "C"]
    assert {e.action for e in events} == {BookingAction.SNAPSHOT}
    assert events[2].location.endswith("timeslotDetail[3]")
    assert crm_scheduling.parse(schedule_response(), source="pas") == []


def test_soap_envelope_must_hold_one_message() -> None:
    empty = b'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body/></s:Envelope>'
    with pytest.raises(MalformedInput) as caught:
        crm_scheduling.parse(empty, source="pas")
    assert caught.value.code == "SOAP_BODY_NOT_ONE_MESSAGE"
