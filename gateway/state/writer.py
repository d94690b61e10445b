"""Records in and out of a store session: current version, save-if-changed, outcomes for answers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gateway.domain.records import encode_record
from gateway.fhir.kinds import decode_stored, kind_of
from gateway.fhir.mappings import MappingSet
from gateway.ports.store import Stored, StoreSession

__all__ = ["Outcome", "RecordWriter"]


@dataclass(frozen=True, slots=True)
class Outcome:
    stored: Stored
    created: bool
    changed: bool
    record: Any = None  # the decoded record, when the writer had it (saves decoding it again)


class RecordWriter:
    """One message's writes: each save makes a new version only when the record really changed."""

    def __init__(self, session: StoreSession, mappings: MappingSet) -> None:
        self.session = session
        self.mappings = mappings
        self.outcomes: list[Outcome] = []

    def current(self, resource_type: str, id: str) -> tuple[Stored | None, Any]:
        stored = self.session.get(resource_type, id)
        return (stored, decode_stored(stored)) if stored is not None else (None, None)

    def save(self, record: Any, stored: Stored | None, previous: Any) -> Stored:
        if stored is not None and previous == record:
            self.unchanged(stored, record)
            return stored
        tokens = kind_of(record).tokens(record, self.mappings)
        new = self.session.put(record.resource_type, record.id, encode_record(record), tokens,
                               previous_version=stored.version_id if stored is not None else 0)
        self.outcomes.append(Outcome(new, created=stored is None, changed=True, record=record))
        return new

    def save_latest(self, record: Any) -> Stored:
        stored, previous = self.current(record.resource_type, record.id)
        return self.save(record, stored, previous)

    def unchanged(self, stored: Stored, record: Any = None) -> None:
        self.outcomes.append(Outcome(stored, created=False, changed=False, record=record))
