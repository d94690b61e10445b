"""What a booked telephone contact does to stored state (the telephone-contact routine).

A telephone contact is booked so that the patient sees it on 1177: it is the crm:scheduling booking
of the unit and ``bookingId``, and shares that booking's Appointment id. Rules:

- answered: the Appointment becomes ``fulfilled`` and an Encounter records the care contact: class
  VR (remote), visit type Tele, patient fee P0, payment method Gena (general exemption), the caller as
  participant, linked to the Appointment;
- no answer: no arrival is registered because no care contact took place, so **no** Encounter; the
  outcome is kept on the booking, whose Appointment becomes ``noshow`` (FHIR: the patient did not
  turn up for the appointment);
- a booking the gateway has not seen yet is created from the message (crm:scheduling time type
  ``TELE``, the code 1177 knows for a telephone contact), so the outcome is never lost;
- the booking's patient cannot change (409 ``BOOKING_PATIENT_MISMATCH``); a cancelled booking cannot
  have an outcome (409 ``BOOKING_CANCELLED``); the other outcome after one is recorded is 409
  ``TELEPHONE_OUTCOME_CONFLICT``; the same report again changes nothing.

Errand calls (booking, prescription renewal, phone-queue call-backs) never get here: the adapter
refuses them with 422 ``NOT_A_TELEPHONE_CONTACT`` and nothing is stored.
"""

from __future__ import annotations

from gateway.domain.booking_records import AppointmentRecord
from gateway.domain.group_records import EncounterRecord
from gateway.domain.groups import (
    TELEPHONE_FEE,
    TELEPHONE_PAYMENT,
    TELEPHONE_VISIT_TYPE,
    TelephoneContactReported,
)
from gateway.fhir.mappings import MappingSet
from gateway.groups.elvis_records import (
    ElvisWriter,
    appointment_id,
    leader_ref,
    person_ref,
    telephone_encounter_id,
)
from gateway.ports.store import StoreSession
from gateway.primitives.errors import Conflict
from gateway.state.writer import Outcome

__all__ = ["TELEPHONE_TIME_TYPE", "apply_telephone_contact"]

TELEPHONE_TIME_TYPE = ("TELE", "Telefonkontakt")  # crm:scheduling timeTypeID (mappings/crm-time-type.json)
_OUTCOME_STATUS = {True: "fulfilled", False: "noshow"}


def _booking(writer: ElvisWriter, event: TelephoneContactReported) -> AppointmentRecord:
    id = appointment_id(event.unit.value, event.booking_id)
    stored, current = writer.appointment(id)
    status = _OUTCOME_STATUS[event.answered]
    if current is None:
        code, display = TELEPHONE_TIME_TYPE
        record = AppointmentRecord(
            id=id, facility=event.unit.value, booking_id=event.booking_id, status=status,
            facility_name=event.unit_name, start=event.start.isoformat(), end=event.end.isoformat(),
            patient=person_ref(event.patient, event.patient_name), performer=leader_ref(event.caller),
            time_type_code=code, time_type_display=display, origin="pas",
        )
        writer.save(record, stored, current)
        return record
    if current.patient is not None and (current.patient.kind, current.patient.value) != (
            event.patient.kind.value, event.patient.value):
        raise Conflict("BOOKING_PATIENT_MISMATCH", f"booking {event.booking_id} belongs to another patient",
                       location=event.location)
    if current.status == "cancelled":
        raise Conflict("BOOKING_CANCELLED", f"booking {event.booking_id} is cancelled; it has no outcome",
                       location=event.location)
    if current.status in _OUTCOME_STATUS.values() and current.status != status:
        raise Conflict("TELEPHONE_OUTCOME_CONFLICT", f"telephone contact {event.booking_id} is already recorded "
                       f"as {current.status}", location=event.location)
    record = current.with_changes(status=status)
    writer.save(record, stored, current)
    return record


def _contact(event: TelephoneContactReported, booking: AppointmentRecord) -> EncounterRecord:
    return EncounterRecord(
        id=telephone_encounter_id(booking.id), status="finished", contact_mode="VR",
        patient=booking.patient or person_ref(event.patient, event.patient_name),
        unit=person_ref(event.unit, event.unit_name or booking.facility_name),
        unit_name=event.unit_name or booking.facility_name, appointment_id=booking.id,
        start=event.start.isoformat(), end=event.end.isoformat(), practitioners=(leader_ref(event.caller),),
        visit_type_code=TELEPHONE_VISIT_TYPE, fee_code=TELEPHONE_FEE, payment_method=TELEPHONE_PAYMENT,
        action_code=event.action_code, reason=event.reason, source_id=event.contact_id,
    )


def apply_telephone_contact(session: StoreSession, event: TelephoneContactReported,
                            mappings: MappingSet) -> list[Outcome]:
    writer = ElvisWriter(session, mappings)
    booking = _booking(writer, event)
    if event.answered:
        writer.save_latest(_contact(event, booking))
    return writer.outcomes
