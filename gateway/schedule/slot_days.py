"""Which slots of one schedule were free on one local day: the bookkeeping behind replacement.

A later GetAvailableTimeslotsResponse withdraws the free times it no longer lists. The store's
session can read by id but not search, and slot ids are derived from times the gateway cannot
guess, so each (schedule, day) keeps the ids it last published in a small record of its own.

It is stored beside the FHIR resources under a resource type that is no FHIR type
(``SlotDayIndex``); it is not in :mod:`gateway.fhir.kinds` (it has no FHIR rendering) nor in the search
table, so the FHIR API never serves it and it never appears in a push's answer.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import ClassVar

from gateway.domain.records import decode_record, encode_record
from gateway.ports.store import StoreSession

__all__ = ["INDEX_TYPE", "SlotDayIndex", "load_day", "save_day"]

INDEX_TYPE = "SlotDayIndex"
_IDS = uuid.UUID("6f1c1f7e-4a0e-5b8e-9a53-6e6f72646761")  # nordgate's resource-id namespace


@dataclass(frozen=True, slots=True)
class SlotDayIndex:
    id: str
    schedule_id: str
    day: str  # local date, YYYY-MM-DD
    slot_ids: tuple[str, ...]  # sorted

    kind: ClassVar[str] = "slot-day-index"
    resource_type: ClassVar[str] = INDEX_TYPE


def _index_id(schedule_id: str, day: dt.date) -> str:
    return str(uuid.uuid5(_IDS, f"slot-day|{schedule_id}|{day.isoformat()}"))


def load_day(session: StoreSession, schedule_id: str, day: dt.date) -> tuple[str, ...]:
    stored = session.get(INDEX_TYPE, _index_id(schedule_id, day))
    if stored is None:
        return ()
    index = decode_record(stored.record, {SlotDayIndex.kind: SlotDayIndex})
    assert isinstance(index, SlotDayIndex)
    return index.slot_ids


def save_day(session: StoreSession, schedule_id: str, day: dt.date, slot_ids: tuple[str, ...]) -> None:
    index = SlotDayIndex(_index_id(schedule_id, day), schedule_id, day.isoformat(), tuple(sorted(slot_ids)))
    session.put(INDEX_TYPE, index.id, encode_record(index), ())
