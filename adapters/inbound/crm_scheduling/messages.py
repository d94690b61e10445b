"""The crm:scheduling messages the gateway takes, each into canonical events (bookings, available times).

Contract rules the XSD leaves optional are enforced here (the gateway keys bookings by
``bookingId``; a booking is for a patient; an open invitation has no times).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lxml import etree

from adapters.inbound.crm_scheduling.availability import available_timeslots_response
from adapters.inbound.crm_scheduling.elements import Children, children, required_text, text
from adapters.inbound.crm_scheduling.timeslot import hsa_id, read_person_name, read_timeslot, single_child
from gateway.domain.booking import Booking, BookingAction, BookingEvent, Cancellation
from gateway.primitives.errors import Unprocessable

__all__ = ["MESSAGE_READERS"]


def _require_booking_id(booking: Booking, *, path: str) -> None:
    if booking.booking_id is None:
        raise Unprocessable(
            "BOOKING_ID_MISSING",
            "bookingId is required: the gateway identifies a booking by its unit and bookingId",
            location=f"{path}/bookingId",
        )


def _check_times(booking: Booking, *, path: str) -> None:
    if booking.is_invitation:
        if booking.start is not None:
            raise Unprocessable(
                "INVITATION_HAS_TIME",
                "an open invitation (isInvitation=true) carries no start or end; the citizen chooses the time",
                location=f"{path}/startTimeInclusive",
            )
    elif booking.start is None:
        raise Unprocessable(
            "TIMESLOT_TIME_MISSING",
            "startTimeInclusive and endTimeExclusive are required unless isInvitation is true",
            location=path,
        )


def _require_patient(booking: Booking, *, path: str) -> None:
    if booking.patient is None:
        raise Unprocessable(
            "SUBJECT_OF_CARE_MISSING", "subject_of_care is required: a booking is for a patient",
            location=f"{path}/subject_of_care",
        )


def make_booking(element: etree._Element, source: str, path: str) -> list[BookingEvent]:
    root = Children(element)
    hsa_id(required_text(root, "healthcare_facility_med", path=path, why="MakeBooking names the booking unit"),
           location=f"{path}/healthcare_facility_med")
    slot_path = f"{path}/requestedTimeslot"
    slot = single_child(root, "requestedTimeslot", path=path, why="MakeBooking books one timeslot")
    info_path = f"{path}/subject_of_care_info"
    info = single_child(root, "subject_of_care_info", path=path, why="crm:scheduling 1.1 requires the patient's name")
    name = read_person_name(info, path=info_path)
    if name is None or not name.given or not name.family:
        raise Unprocessable("PATIENT_NAME_MISSING", "subject_of_care_info needs firstName and lastName",
                            location=info_path)
    booking = read_timeslot(slot, path=slot_path, notification=text(root, "notification", path=path),
                            patient_name=name)
    _require_booking_id(booking, path=slot_path)
    _require_patient(booking, path=slot_path)
    _check_times(booking, path=slot_path)
    return [BookingEvent(BookingAction.MAKE, source, booking=booking, location=slot_path)]


def update_booking(element: etree._Element, source: str, path: str) -> list[BookingEvent]:
    root = Children(element)
    slot_path = f"{path}/requestedTimeslot"
    slot = single_child(root, "requestedTimeslot", path=path, why="UpdateBooking moves one timeslot")
    info = next(iter(children(root, "subject_of_care_info")), None)
    booking = read_timeslot(slot, path=slot_path, notification=text(root, "notification", path=path),
                            patient_name=read_person_name(info, path=f"{path}/subject_of_care_info"))
    _require_booking_id(booking, path=slot_path)
    if booking.is_invitation:
        # Not UPDATE_ON_INVITATION (409): that one is a stored invitation; here the message itself is wrong.
        raise Unprocessable("UPDATE_MARKED_AS_INVITATION", "an UpdateBooking cannot be an open invitation "
                            "(isInvitation=true); an invitation is sent with MakeBooking",
                            location=f"{slot_path}/isInvitation")
    if booking.start is None:
        raise Unprocessable("TIMESLOT_TIME_MISSING", "UpdateBooking needs the new start and end", location=slot_path)
    return [BookingEvent(BookingAction.UPDATE, source, booking=booking, location=slot_path)]


def cancel_booking(element: etree._Element, source: str, path: str) -> list[BookingEvent]:
    root = Children(element)
    facility = required_text(root, "healthcare_facility", path=path, why="the unit owns the booking")
    booking_id = required_text(root, "bookingId", path=path, why="it names the booking to cancel")
    cancellation = Cancellation(
        facility=hsa_id(facility, location=f"{path}/healthcare_facility"),
        booking_id=booking_id,
        message=text(root, "message", path=path),
    )
    return [BookingEvent(BookingAction.CANCEL, source, cancellation=cancellation, location=path)]


def _snapshots(root: etree._Element, source: str, path: str, *, at_least_one: bool) -> list[BookingEvent]:
    slots = children(root, "timeslotDetail")
    if at_least_one and not slots:
        raise Unprocessable("ELEMENT_MISSING", "timeslotDetail is required", location=f"{path}/timeslotDetail")
    events = []
    for index, slot in enumerate(slots, start=1):
        slot_path = f"{path}/timeslotDetail[{index}]"
        booking = read_timeslot(slot, path=slot_path)
        _require_booking_id(booking, path=slot_path)
        _require_patient(booking, path=slot_path)
        _check_times(booking, path=slot_path)
        events.append(BookingEvent(BookingAction.SNAPSHOT, source, booking=booking, location=slot_path))
    return events


def booking_details_response(root: etree._Element, source: str, path: str) -> list[BookingEvent]:
    return _snapshots(root, source, path, at_least_one=True)


def subject_of_care_schedule_response(root: etree._Element, source: str, path: str) -> list[BookingEvent]:
    return _snapshots(root, source, path, at_least_one=False)


# Readers return canonical events of more than one kind (bookings, available times);
# gateway/ingest/dispatch.py dispatches each by its type.
Reader = Callable[[etree._Element, str, str], list[Any]]

# Keyed by (contract, root element); the contract is the Responder namespace's middle part.
MESSAGE_READERS: dict[tuple[str, str], Reader] = {
    ("MakeBooking", "MakeBooking"): make_booking,
    ("UpdateBooking", "UpdateBooking"): update_booking,
    ("CancelBooking", "CancelBooking"): cancel_booking,
    ("GetBookingDetails", "GetBookingDetailsResponse"): booking_details_response,
    ("GetSubjectOfCareSchedule", "GetSubjectOfCareScheduleResponse"): subject_of_care_schedule_response,
    ("GetAvailableTimeslots", "GetAvailableTimeslotsResponse"): available_timeslots_response,
}
