"""Published free times (Slots) and the bookings that take them.

A booking whose time is exactly a published Slot of its unit (same start and end, the schedule of
the booking's performer/resource or of the unit) takes that Slot: ``free`` becomes ``busy``, in the
same transaction as the Appointment. A second booking of a time already ``busy`` is refused
(409 ``SLOT_TAKEN``), so that two citizens cannot book one published time. A reschedule takes the new
Slot before it frees the old one (a refused move keeps the old time); a cancel frees it.

A time that matches no published Slot is still taken: the booking system (PAS) is the master of its
calendar and books times it never published. The Slot ids are the schedule service's; this module
gets them through :data:`SlotLocator` (wired in ``gateway/bootstrap/inbound.py``) because the feature
rules do not import each other.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from gateway.domain.booking_records import AppointmentRecord
from gateway.domain.schedule_records import SlotRecord
from gateway.primitives.errors import Conflict
from gateway.state.writer import RecordWriter

__all__ = ["SlotLocator", "claim_slot", "release_slot"]

#: (unit, performer HSA-id, resource id, start, end) -> the Slot id of that time in that schedule.
SlotLocator = Callable[[str, str | None, str | None, dt.datetime, dt.datetime], str]


def _candidates(record: AppointmentRecord, locate: SlotLocator) -> list[str]:
    assert record.start is not None and record.end is not None
    start, end = dt.datetime.fromisoformat(record.start), dt.datetime.fromisoformat(record.end)
    performer = record.performer.value if record.performer is not None else None
    found: list[str] = []
    # The narrowest schedule first: a booking naming its performer may take the unit's own slot too.
    for who, what in ((performer, record.resource_id), (performer, None), (None, record.resource_id), (None, None)):
        sid = locate(record.facility, who, what, start, end)
        if sid not in found:
            found.append(sid)
    return found


def _same_time(a: AppointmentRecord | None, b: AppointmentRecord) -> bool:
    return a is not None and a.status != "cancelled" and (a.start, a.end) == (b.start, b.end)


def claim_slot(writer: RecordWriter, record: AppointmentRecord, before: AppointmentRecord | None,
               locate: SlotLocator | None, *, location: str) -> None:
    """``record`` (about to be saved, ``before`` its stored version) takes the Slot of its time."""
    if locate is None or record.start is None or record.end is None or _same_time(before, record):
        return
    for sid in _candidates(record, locate):
        stored, slot = writer.current("Slot", sid)
        if not isinstance(slot, SlotRecord) or stored is None:
            continue
        if slot.status == "busy":
            raise Conflict("SLOT_TAKEN", f"the published time {record.start}–{record.end} at {record.facility} is "
                           "booked already", location=location)
        if slot.status == "free":
            writer.save(slot.with_changes(status="busy"), stored, slot)
        return


def release_slot(writer: RecordWriter, before: AppointmentRecord | None, after: AppointmentRecord | None,
                 locate: SlotLocator | None) -> None:
    """The Slot ``before`` held is free again when ``after`` no longer holds that time."""
    if locate is None or before is None or before.status == "cancelled" or before.start is None \
            or before.end is None or (after is not None and _same_time(after, before)):
        return
    for sid in _candidates(before, locate):
        stored, slot = writer.current("Slot", sid)
        if isinstance(slot, SlotRecord) and stored is not None and slot.status == "busy":
            writer.save(slot.with_changes(status="free"), stored, slot)
            return
