"""What a booking event does to stored state: the rules of crm:scheduling and open invitations.

Runs inside one store transaction per message (see :mod:`gateway.ingest.pipeline`), so reading the
current version and writing the next can never race. Rules:

- a later message for the same (unit, bookingId) makes a new version only when the content changed;
- an open invitation (isInvitation, no times) is ``proposed`` with the patient ``needs-action``;
- a MakeBooking with times for a ``proposed`` invitation is the citizen's answer: the Appointment
  becomes ``booked`` at the chosen time and an AppointmentResponse (``accepted``) is stored;
- a second answer with another time to an answered invitation is a 409; ``UpdateBooking`` on an open
  invitation is a 409; a reschedule of a cancelled booking is a 409;
- ``UpdateBooking``/``CancelBooking`` for a booking the gateway never saw is a 422 (``BOOKING_UNKNOWN``):
  the message is understood but names nothing; 404 would tell the client its URL is wrong;
- a message may not move a booking to another patient (409 ``BOOKING_PATIENT_MISMATCH``);
- a read-back timeslot (GetBookingDetails/GetSubjectOfCareSchedule) never revives a cancelled
  booking nor reopens an answered invitation: it may be older than what is stored;
- a booking of a published free time takes its Slot (``busy``); a second booking of it is a 409
  ``SLOT_TAKEN``; a reschedule or a cancel frees the old one (:mod:`gateway.bookings.slots`).
"""

from __future__ import annotations

import uuid
from functools import partial

from gateway.bookings.slots import SlotLocator, claim_slot, release_slot
from gateway.domain.booking import Booking, BookingAction, BookingEvent
from gateway.domain.booking_records import AppointmentRecord, AppointmentResponseRecord, PersonRef, appointment_id
from gateway.domain.records import RESOURCE_IDS
from gateway.fhir.mappings import MappingSet
from gateway.ports.store import Stored, StoreSession
from gateway.primitives.errors import Conflict, Unprocessable
from gateway.primitives.identifiers import IdentifierKind
from gateway.state.writer import Outcome, RecordWriter

__all__ = ["Outcome", "apply_event", "booking_handler"]



def _response_id(appointment: str) -> str:
    return str(uuid.uuid5(RESOURCE_IDS, f"appointment-response|{appointment}"))


def _person(kind: IdentifierKind, value: str, display: str | None) -> PersonRef:
    return PersonRef(kind=kind.value, value=value, display=display)


def _record_from_booking(booking: Booking, base: AppointmentRecord | None, *, status: str,
                         patient_status: str, origin: str) -> AppointmentRecord:
    assert booking.booking_id is not None
    patient = base.patient if base is not None else None
    if booking.patient is not None:
        display = booking.patient_name.text if booking.patient_name else (patient.display if patient else None)
        patient = _person(booking.patient.kind, booking.patient.value, display)
    return AppointmentRecord(
        id=appointment_id(booking.facility.value, booking.booking_id),
        facility=booking.facility.value,
        booking_id=booking.booking_id,
        status=status,
        facility_name=booking.facility_name,
        start=booking.start.isoformat() if booking.start else None,
        end=booking.end.isoformat() if booking.end else None,
        patient=patient,
        patient_status=patient_status,
        performer=_person(booking.performer.kind, booking.performer.value, booking.performer_name)
        if booking.performer else None,
        purpose=booking.purpose,
        reason=booking.reason,
        resource_name=booking.resource_name,
        resource_id=booking.resource_id,
        time_type_code=booking.time_type.code or None if booking.time_type else None,
        time_type_display=booking.time_type.display if booking.time_type else None,
        care_type_code=booking.care_type.code or None if booking.care_type else None,
        care_type_display=booking.care_type.display if booking.care_type else None,
        cancel_booking_allowed=booking.cancel_booking_allowed,
        rebooking_allowed=booking.rebooking_allowed,
        message_allowed=booking.message_allowed,
        notification=booking.notification,
        origin=origin,
        was_invitation=booking.is_invitation or (base.was_invitation if base else False),
    )


class _Writer(RecordWriter):
    slots: SlotLocator | None = None

    def save_booking(self, record: AppointmentRecord, stored: Stored | None, current: AppointmentRecord | None,
                     location: str) -> None:
        """Save the Appointment, then move its published Slot along (same transaction)."""
        self.save(record, stored, current)
        claim_slot(self, record, current, self.slots, location=location)
        release_slot(self, current, record, self.slots)

    def current_appointment(self, id: str) -> tuple[Stored | None, AppointmentRecord | None]:
        stored, record = self.current("Appointment", id)
        assert record is None or isinstance(record, AppointmentRecord)
        return stored, record


def _check_same_patient(booking: Booking, current: AppointmentRecord, location: str) -> None:
    if booking.patient is None or current.patient is None:
        return
    if (booking.patient.kind.value, booking.patient.value) != (current.patient.kind, current.patient.value):
        raise Conflict("BOOKING_PATIENT_MISMATCH",
                       f"booking {current.booking_id} belongs to another patient; a message cannot move it",
                       location=location)


def _make(writer: _Writer, event: BookingEvent, booking: Booking) -> None:
    assert booking.booking_id is not None
    stored, current = writer.current_appointment(appointment_id(booking.facility.value, booking.booking_id))
    if current is not None:
        _check_same_patient(booking, current, event.location)
    if booking.is_invitation:
        if current is not None and current.status != "proposed":
            raise Conflict("INVITATION_ON_EXISTING_BOOKING",
                           f"booking {booking.booking_id} already exists with status {current.status}; "
                           "it cannot become an open invitation", location=event.location)
        record = _record_from_booking(booking, current, status="proposed", patient_status="needs-action",
                                      origin="pas")
        writer.save(record, stored, current)
        return
    if current is not None and current.was_invitation and current.status in {"proposed", "booked"}:
        _answer_invitation(writer, event, booking, stored, current)
        return
    origin = current.origin if current is not None else ("1177" if event.source == "1177" else "pas")
    writer.save_booking(_record_from_booking(booking, current, status="booked", patient_status="accepted",
                                             origin=origin), stored, current, event.location)


# What an answer to an open invitation may leave out: the invitation already said it.
_KEPT_FROM_INVITATION = (
    "facility_name", "performer", "purpose", "reason", "resource_name", "resource_id", "time_type_code",
    "time_type_display", "care_type_code", "care_type_display", "cancel_booking_allowed", "rebooking_allowed",
    "message_allowed", "notification",
)


def _answer_invitation(writer: _Writer, event: BookingEvent, booking: Booking, stored: Stored | None,
                       current: AppointmentRecord) -> None:
    """The citizen's (or the unit's) answer: the invitation's details stay, the answer adds the time."""
    origin = "open-invitation" if event.source == "1177" else current.origin
    answer = _record_from_booking(booking, current, status="booked", patient_status="accepted", origin=origin)
    kept = {name: getattr(current, name) for name in _KEPT_FROM_INVITATION if getattr(answer, name) is None}
    record = answer.with_changes(**kept)
    if current.status == "booked" and (record.start, record.end) != (current.start, current.end):
        raise Conflict("INVITATION_ALREADY_BOOKED",
                       f"open invitation {current.booking_id} is already booked for {current.start}; "
                       "the same invitation cannot be booked twice", location=event.location)
    writer.save_booking(record, stored, current, event.location)
    by = "the citizen" if event.source == "1177" else f"the care unit ({event.source})"
    writer.save_latest(AppointmentResponseRecord(
        id=_response_id(record.id), appointment_id=record.id, participant_status="accepted",
        start=record.start, end=record.end, actor=record.patient,
        comment=f"Answer to an open invitation, booked by {by}", facility=record.facility,
    ))


def _update(writer: _Writer, event: BookingEvent, booking: Booking) -> None:
    assert booking.booking_id is not None
    stored, current = writer.current_appointment(appointment_id(booking.facility.value, booking.booking_id))
    if current is None:
        raise Unprocessable("BOOKING_UNKNOWN", f"no booking {booking.booking_id} at {booking.facility.value} "
                            "to reschedule; send its MakeBooking first", location=event.location)
    _check_same_patient(booking, current, event.location)
    if current.status == "proposed" and current.was_invitation:
        raise Conflict("UPDATE_ON_INVITATION", f"booking {booking.booking_id} is an open invitation; "
                       "UpdateBooking is not allowed on it (the citizen books it with MakeBooking)",
                       location=event.location)
    if current.status == "cancelled":
        raise Conflict("BOOKING_CANCELLED", f"booking {booking.booking_id} is cancelled and cannot be "
                       "rescheduled", location=event.location)
    writer.save_booking(_record_from_booking(booking, current, status="booked", patient_status="accepted",
                                             origin=current.origin), stored, current, event.location)


def _cancel(writer: _Writer, event: BookingEvent) -> None:
    cancellation = event.cancellation
    assert cancellation is not None
    stored, current = writer.current_appointment(appointment_id(cancellation.facility.value, cancellation.booking_id))
    if current is None or stored is None:
        raise Unprocessable("BOOKING_UNKNOWN", f"no booking {cancellation.booking_id} at "
                            f"{cancellation.facility.value} to cancel", location=event.location)
    if current.status == "cancelled":
        writer.unchanged(stored)
        return
    writer.save(current.with_changes(status="cancelled", cancellation_source=event.source,
                                     cancellation_message=cancellation.message), stored, current)
    release_slot(writer, current, None, writer.slots)


def _snapshot(writer: _Writer, event: BookingEvent, booking: Booking) -> None:
    """A timeslot read back from the PAS. It may be older than what the gateway already holds
    (messages cross), so it never revives a cancelled booking nor reopens an answered invitation;
    the answer shows the booking as stored."""
    assert booking.booking_id is not None
    stored, current = writer.current_appointment(appointment_id(booking.facility.value, booking.booking_id))
    invitation = booking.is_invitation and booking.start is None
    if current is not None and stored is not None:
        _check_same_patient(booking, current, event.location)
        stale = current.status == "cancelled" or (invitation and current.was_invitation
                                                   and current.status == "booked")
        if stale:
            writer.unchanged(stored)
            return
        if current.was_invitation and current.status == "proposed" and not invitation:
            _answer_invitation(writer, event, booking, stored, current)
            return
    record = _record_from_booking(
        booking, current, status="proposed" if invitation else "booked",
        patient_status="needs-action" if invitation else "accepted",
        origin=current.origin if current else ("1177" if event.source == "1177" else "pas"))
    writer.save(record, stored, current)


def apply_event(session: StoreSession, event: BookingEvent, mappings: MappingSet, *,
                slots: SlotLocator | None = None) -> list[Outcome]:
    """``slots`` finds the published Slot of a time; without it no Slot is taken or freed."""
    writer = _Writer(session, mappings)
    writer.slots = slots
    if event.action is BookingAction.CANCEL:
        _cancel(writer, event)
    else:
        booking = event.booking
        assert booking is not None
        if event.action is BookingAction.MAKE:
            _make(writer, event, booking)
        elif event.action is BookingAction.UPDATE:
            _update(writer, event, booking)
        else:
            _snapshot(writer, event, booking)
    return writer.outcomes


def booking_handler(slots: SlotLocator) -> partial[list[Outcome]]:
    """The handler of booking events with the schedule's Slot ids (wired by ``gateway/bootstrap``)."""
    return partial(apply_event, slots=slots)
