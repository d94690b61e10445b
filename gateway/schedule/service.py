"""What an answer of available times does to stored state: Schedules, free Slots, withdrawn Slots.

Rules (runs inside the push's one transaction, see :mod:`gateway.ingest.pipeline`):

- one Schedule per (unit, performer, resource): id ``uuid5(unit|performer|resource)``; one Slot per
  (that schedule, start, end): the same free time sent again is the same resource, a new version only
  when something changed;
- **replacement**: an answer is the source's whole truth about the days it covers, from the local day
  of its earliest slot to that of its latest, for each schedule it lists. A slot of such a schedule
  that was free on such a day and is not listed again becomes ``busy-unavailable``; listed again
  later, it is ``free`` again. Reason: FHIR has no delete on this read-only interface, and a slot that
  vanished from the PAS was either booked or withdrawn; the gateway cannot tell which, and
  ``busy-unavailable`` ("cannot be scheduled") claims neither while ``busy`` would claim a booking.
  The old version stays readable (vread), so a report can show what was offered when;
- the scope is per schedule, not per unit, because GetAvailableTimeslots may be asked for one
  performer: an answer that does not list a schedule says nothing about it. Days outside the
  answer's range are untouched, and an empty answer changes nothing (the response does not repeat
  the asked date range, so an empty one covers no known days). An answer filtered by time type
  would withdraw the other types' slots on its days: ask for all time types;
- the Schedule's planning horizon and its time/care types only grow (see the record).
"""

from __future__ import annotations

import datetime as dt
import uuid

from gateway.domain.availability import AvailableSlot, AvailableTimeslots
from gateway.domain.booking import LocalCode
from gateway.domain.schedule_records import LocalConcept, PersonRef, ScheduleRecord, SlotRecord
from gateway.fhir.mappings import MappingSet
from gateway.ports.store import StoreSession
from gateway.primitives.identifiers import IdentifierKind
from gateway.schedule.slot_days import load_day, save_day
from gateway.state.writer import Outcome, RecordWriter

__all__ = ["apply_available_timeslots", "schedule_id", "slot_id"]

_IDS = uuid.UUID("6f1c1f7e-4a0e-5b8e-9a53-6e6f72646761")  # nordgate's resource-id namespace
_ONE_DAY = dt.timedelta(days=1)


def schedule_id(facility: str, performer: str | None, resource_id: str | None) -> str:
    return str(uuid.uuid5(_IDS, f"schedule|{facility}|{performer or ''}|{resource_id or ''}"))


def slot_id(schedule: str, start: dt.datetime, end: dt.datetime) -> str:
    # The schedule id already names unit + performer/resource; instants in UTC so that the same
    # time written with another offset is still the same slot.
    utc = [moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ") for moment in (start, end)]
    return str(uuid.uuid5(_IDS, f"slot|{schedule}|{utc[0]}|{utc[1]}"))


def _schedule_of(slot: AvailableSlot) -> str:
    return schedule_id(slot.facility.value, slot.performer.value if slot.performer else None, slot.resource_id)


def _concept(code: LocalCode | None) -> LocalConcept | None:
    if code is None or (not code.code and not code.display):
        return None
    return LocalConcept(code.code or None, code.display)


def _merged(old: tuple[LocalConcept, ...], new: list[LocalConcept | None]) -> tuple[LocalConcept, ...]:
    """Union by code (display-only concepts by display); a later display wins."""
    found = {concept.code or f"text:{concept.display}": concept for concept in old}
    for concept in new:
        if concept is not None:
            found[concept.code or f"text:{concept.display}"] = concept
    return tuple(found[key] for key in sorted(found))


def _widest(old: str | None, new: str, *, earlier: bool) -> str:
    """The earlier (or later) of two ISO times; ``old`` may be absent."""
    if old is None:
        return new
    new_first = dt.datetime.fromisoformat(new) < dt.datetime.fromisoformat(old)
    return new if new_first == earlier else old


def _save_schedule(writer: RecordWriter, sid: str, slots: list[AvailableSlot], days: tuple[dt.date, dt.date]) -> None:
    stored, current = writer.current("Schedule", sid)
    base = current if isinstance(current, ScheduleRecord) else ScheduleRecord(sid, slots[0].facility.value)
    zone = slots[0].start.tzinfo
    horizon_start = dt.datetime.combine(days[0], dt.time(), tzinfo=zone).isoformat()
    horizon_end = dt.datetime.combine(days[1] + _ONE_DAY, dt.time(), tzinfo=zone).isoformat()
    latest = slots[-1]
    performer = base.performer
    if latest.performer is not None:
        display = latest.performer_name or (performer.display if performer else None)
        performer = PersonRef(IdentifierKind.HSA_ID.value, latest.performer.value, display)
    record = base.with_changes(
        facility_name=latest.facility_name or base.facility_name,
        performer=performer,
        resource_id=latest.resource_id,
        resource_name=latest.resource_name or base.resource_name,
        horizon_start=_widest(base.horizon_start, horizon_start, earlier=True),
        horizon_end=_widest(base.horizon_end, horizon_end, earlier=False),
        time_types=_merged(base.time_types, [_concept(slot.time_type) for slot in slots]),
        care_types=_merged(base.care_types, [_concept(slot.care_type) for slot in slots]),
    )
    writer.save(record, stored, current)


def _slot_record(sid: str, slot: AvailableSlot) -> SlotRecord:
    return SlotRecord(
        id=slot_id(sid, slot.start, slot.end), schedule_id=sid, facility=slot.facility.value,
        start=slot.start.isoformat(), end=slot.end.isoformat(), status="free",
        performer=slot.performer.value if slot.performer else None,
        time_type=_concept(slot.time_type), care_type=_concept(slot.care_type),
    )


def _publish(writer: RecordWriter, sid: str, slots: list[AvailableSlot], days: tuple[dt.date, dt.date]) -> None:
    _save_schedule(writer, sid, slots, days)
    listed_by_day: dict[dt.date, dict[str, SlotRecord]] = {}
    for slot in sorted(slots, key=lambda item: (item.start, item.end)):
        record = _slot_record(sid, slot)
        listed_by_day.setdefault(slot.start.date(), {})[record.id] = record
    day = days[0]
    while day <= days[1]:
        listed = listed_by_day.get(day, {})
        for record in listed.values():
            writer.save_latest(record)
        previous = load_day(writer.session, sid, day)
        for gone in sorted(set(previous) - set(listed)):
            stored, current = writer.current("Slot", gone)
            if isinstance(current, SlotRecord) and current.status == "free":
                writer.save(current.with_changes(status="busy-unavailable"), stored, current)
        if tuple(sorted(listed)) != previous:
            save_day(writer.session, sid, day, tuple(listed))
        day += _ONE_DAY


def apply_available_timeslots(session: StoreSession, event: AvailableTimeslots, mappings: MappingSet) -> list[Outcome]:
    writer = RecordWriter(session, mappings)
    days = event.days
    if days is None:
        return writer.outcomes
    by_schedule: dict[str, list[AvailableSlot]] = {}
    for slot in event.slots:
        by_schedule.setdefault(_schedule_of(slot), []).append(slot)
    for sid in sorted(by_schedule):
        _publish(writer, sid, by_schedule[sid], days)
    return writer.outcomes
