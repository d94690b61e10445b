"""The crm:scheduling 1.1 read interactions answered from the FHIR store (RIVTA producer).

- GetBookingDetails(unit, bookingId): the Appointment ``appointment_id(unit, bookingId)``; a cancelled
  booking is still answered (TimeslotType has no status), an unknown one is ``BOOKING_UNKNOWN``;
- GetSubjectOfCareSchedule(unit, personnummer), 1177 level 1: every booking of the citizen at the unit
  that is not cancelled (open invitations included, without times) and every group session the
  citizen is booked on (Elvis), past and future, sorted by start with invitations last;
- GetAvailableTimeslots(unit, days, performer*, time/care type): the ``free`` Slots starting on those
  Swedish local days, with the names of their Schedule.

The unit's flags (``cancel_booking_allowed``, ``rebooking_allowed``, ``message_allowed``) are answered
exactly as stored and left out when unknown. Reads use the store's search (the tokens
``facility``/``patient.identifier.value`` of Appointments, ``facility.value``/``status``/``start`` of Slots).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from adapters.inbound.crm_scheduling.answers import Timeslot
from adapters.inbound.crm_scheduling.read_requests import (
    AvailableTimeslotsQuery,
    BookingDetailsQuery,
    ScheduleQuery,
)
from gateway.domain.booking_records import AppointmentRecord, appointment_id
from gateway.domain.group_records import GroupSessionRecord
from gateway.domain.schedule_records import ScheduleRecord, SlotRecord
from gateway.fhir.kinds import decode_stored
from gateway.fhir.tokens import instant_token
from gateway.ports.store import Condition, Store
from gateway.primitives.errors import Unprocessable

__all__ = ["available_timeslots", "booking_details", "subject_of_care_schedule"]

STOCKHOLM = ZoneInfo("Europe/Stockholm")
_LIMIT = 10_000  # times: a bound, far above one citizen's or one unit's month


def _time(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def _timeslot(record: AppointmentRecord) -> Timeslot:
    proposed = record.status == "proposed" and record.was_invitation
    return Timeslot(
        healthcare_facility=record.facility, start=None if proposed else _time(record.start),
        end=None if proposed else _time(record.end),
        performer=record.performer.value if record.performer else None, booking_id=record.booking_id,
        subject_of_care=record.patient.value if record.patient else None, purpose=record.purpose,
        reason=record.reason, resource_name=record.resource_name, healthcare_facility_name=record.facility_name,
        performer_name=record.performer.display if record.performer else None, resource_id=record.resource_id,
        time_type_name=record.time_type_display, time_type_id=record.time_type_code,
        care_type_name=record.care_type_display, care_type_id=record.care_type_code,
        cancel_booking_allowed=record.cancel_booking_allowed, rebooking_allowed=record.rebooking_allowed,
        message_allowed=record.message_allowed, is_invitation=True if proposed else None,
    )


def _all(store: Store, resource_type: str, conditions: Sequence[Condition]) -> Iterator[Any]:
    """Every match, up to :data:`_LIMIT`: one bounded search (one COUNT, one page), not a walk of pages."""
    for stored in store.search(resource_type, conditions, count=_LIMIT, offset=0).items:
        yield decode_stored(stored)


def booking_details(store: Store, query: BookingDetailsQuery) -> Timeslot:
    stored = store.read("Appointment", appointment_id(query.unit, query.booking_id))
    record = decode_stored(stored) if stored is not None else None
    if not isinstance(record, AppointmentRecord):
        raise Unprocessable("BOOKING_UNKNOWN", f"no booking {query.booking_id} at {query.unit}",
                            location="/GetBookingDetails/bookingId")
    return _timeslot(record)


def _group_slot(record: GroupSessionRecord, patient: str) -> Timeslot | None:
    for participant in record.participants:
        if participant.patient.value != patient or participant.status in {"declined", "cancelled"} \
                or participant.attendance == "cancelled":
            continue
        return Timeslot(
            healthcare_facility=record.unit.value, start=_time(record.start), end=_time(record.end),
            performer=record.practitioners[0].value if record.practitioners else None,
            booking_id=participant.booking_id or record.session_id, subject_of_care=patient,
            purpose=record.group_name, healthcare_facility_name=record.unit_name,
            performer_name=record.practitioners[0].display if record.practitioners else None,
            time_type_name=record.visit_type_display, time_type_id=record.visit_type_code)
    return None


def subject_of_care_schedule(store: Store, query: ScheduleQuery) -> list[Timeslot]:
    found: list[Timeslot] = []
    conditions = (Condition("facility", "eq", (query.unit,)),
                  Condition("patient.identifier.value", "eq", (query.subject_of_care,)))
    for record in _all(store, "Appointment", conditions):
        if isinstance(record, AppointmentRecord):
            if record.status != "cancelled":
                found.append(_timeslot(record))
        elif isinstance(record, GroupSessionRecord) and record.status != "cancelled":
            slot = _group_slot(record, query.subject_of_care)
            if slot is not None:
                found.append(slot)
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    return sorted(found, key=lambda slot: (slot.start or far, slot.booking_id or ""))


def _day_start(day: dt.date) -> str:
    return instant_token(dt.datetime.combine(day, dt.time(), STOCKHOLM).isoformat())


def available_timeslots(store: Store, query: AvailableTimeslotsQuery) -> list[Timeslot]:
    conditions = (Condition("facility.value", "eq", (query.unit,)), Condition("status", "eq", ("free",)),
                  Condition("start", "ge", (_day_start(query.first_day),)),
                  Condition("start", "lt", (_day_start(query.last_day + dt.timedelta(days=1)),)))
    schedules: dict[str, ScheduleRecord | None] = {}
    chosen: list[Timeslot] = []
    for slot in _all(store, "Slot", conditions):
        if not isinstance(slot, SlotRecord) or not _matches(slot, query):
            continue
        if slot.schedule_id not in schedules:
            stored = store.read("Schedule", slot.schedule_id)
            schedule = decode_stored(stored) if stored is not None else None
            schedules[slot.schedule_id] = schedule if isinstance(schedule, ScheduleRecord) else None
        schedule = schedules[slot.schedule_id]
        chosen.append(Timeslot(
            healthcare_facility=slot.facility, start=_time(slot.start), end=_time(slot.end), performer=slot.performer,
            resource_name=schedule.resource_name if schedule else None,
            healthcare_facility_name=schedule.facility_name if schedule else None,
            performer_name=schedule.performer.display if schedule and schedule.performer else None,
            resource_id=schedule.resource_id if schedule else None,
            time_type_name=slot.time_type.display if slot.time_type else None,
            time_type_id=slot.time_type.code if slot.time_type else None,
            care_type_name=slot.care_type.display if slot.care_type else None,
            care_type_id=slot.care_type.code if slot.care_type else None))
    return sorted(chosen, key=lambda item: (item.start or dt.datetime.max.replace(tzinfo=dt.UTC),
                                            item.performer or ""))


def _matches(slot: SlotRecord, query: AvailableTimeslotsQuery) -> bool:
    if query.performers and slot.performer not in query.performers:
        return False
    # By code when the question gives one; by name only when it gives no code.
    for code, name, concept in ((query.time_type_id, query.time_type_name, slot.time_type),
                                (query.care_type_id, query.care_type_name, slot.care_type)):
        if code is not None and (concept is None or concept.code != code):
            return False
        if code is None and name is not None and (concept is None or concept.display != name):
            return False
    return True
