"""One minimal record of every stored kind, for checks that must hold for all of them."""

from __future__ import annotations

from typing import Any

from gateway.domain.booking_records import AppointmentRecord, AppointmentResponseRecord
from gateway.domain.group_records import EncounterRecord, GroupSessionRecord
from gateway.domain.records import PersonRef
from gateway.domain.schedule_records import ScheduleRecord, SlotRecord

__all__ = ["sample_records"]

UNIT = "SE2321000131-E000000000001"
PATIENT = PersonRef("personnummer", "191212121212")


def sample_records() -> list[Any]:
    unit = PersonRef("hsa-id", UNIT)
    return [
        AppointmentRecord(id="a", facility=UNIT, booking_id="B-1", status="booked"),
        AppointmentResponseRecord(id="r", appointment_id="a", participant_status="accepted", start=None, end=None,
                                  actor=PATIENT, facility=UNIT),
        GroupSessionRecord(id="g", system="elvis", status="booked", unit=unit, session_id="S-1"),
        EncounterRecord(id="e", status="finished", contact_mode="AMB", patient=PATIENT, unit=unit),
        ScheduleRecord(id="s", facility=UNIT),
        SlotRecord(id="t", schedule_id="s", facility=UNIT, start="2026-03-02T08:30:00+01:00",
                   end="2026-03-02T09:00:00+01:00"),
    ]
