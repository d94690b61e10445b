"""Search tokens of Schedules and Slots: what ``actor:identifier``, ``schedule``, ``start``… match."""

from __future__ import annotations

from gateway.bookings.tokens import identifier_tokens, instant_token
from gateway.domain.schedule_records import ScheduleRecord, SlotRecord
from gateway.mappings import MappingSet
from gateway.ports.store import Token
from gateway.primitives.identifiers import IdentifierKind

__all__ = ["schedule_tokens", "slot_tokens"]


def _hsa(name: str, value: str, mappings: MappingSet) -> list[Token]:
    return identifier_tokens(name, mappings.identifier_system(IdentifierKind.HSA_ID), value)


def schedule_tokens(record: ScheduleRecord, mappings: MappingSet) -> list[Token]:
    # The unit is an actor of every schedule, so a unit's schedules are found by its HSA-id.
    tokens = _hsa("facility", record.facility, mappings) + _hsa("actor.identifier", record.facility, mappings)
    if record.performer is not None:
        tokens += _hsa("actor.identifier", record.performer.value, mappings)
    return tokens


def slot_tokens(record: SlotRecord, mappings: MappingSet) -> list[Token]:
    tokens: list[Token] = [("schedule", record.schedule_id), ("status", record.status),
                           ("start", instant_token(record.start))]
    tokens += _hsa("facility", record.facility, mappings)
    tokens += _hsa("schedule.actor.identifier", record.facility, mappings)
    if record.performer is not None:
        tokens += _hsa("schedule.actor.identifier", record.performer, mappings)
    return tokens
