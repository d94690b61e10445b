"""The trace of one rendering: for every coded or identifier element of the FHIR output, which record
field it came from and what decided its value (a ConceptMap entry, the identifier-system table, a
system declared in :mod:`gateway.fhir.canonical`, or a named rule).

Collected only when someone asks (``POST /preview``, ``nordgate map --trace``): rendering takes an
optional :class:`Trace` and does nothing more when it is None, so the push path pays nothing.
Where each record field came from in the *message* is added afterwards
(:mod:`gateway.trace.sources`), because only the event knows its format and location.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gateway.fhir.mappings import Translation

__all__ = ["By", "Trace", "TraceEntry", "by_canonical", "by_identifier_table", "by_kept_code", "by_rule",
           "by_translation"]

By = dict[str, Any]
IDENTIFIER_TABLE_PATH = "mappings/identifier-systems.json"
CANONICAL_MODULE = "gateway/fhir/canonical.py"


def by_translation(translation: Translation) -> By:
    return {"conceptMap": translation.map_id, "url": translation.map_url, "entry": translation.entry}


def by_kept_code(map_id: str, url: str | None) -> By:
    """The sender's own code, kept beside any mapped one; its system is the map's source system."""
    return {"conceptMap": map_id, "url": url, "entry": "group[0].source", "kept": "the sender's own code"}


def by_identifier_table(kind: str) -> By:
    return {"identifierSystem": kind, "table": IDENTIFIER_TABLE_PATH}


def by_canonical(what: str, name: str) -> By:
    """``what`` is ``namingSystem`` or ``codeSystem``: a system nordgate declares itself."""
    return {what: name, "declared": CANONICAL_MODULE}


def by_rule(rule: str) -> By:
    return {"rule": rule}


@dataclass(slots=True)
class TraceEntry:
    resource: str          # "Appointment/<id>"
    path: str              # FHIR path inside the resource, e.g. "appointmentType.coding[0]"
    value: Any             # the coding, identifier or code produced
    field: str             # the record field it came from, e.g. "time_type_code", "participants[1].patient"
    by: By | None = None   # None until a rule is named (rules need the event: gateway.trace.sources)
    source: str | None = None  # where in the message (or the request) the field's value came from

    def to_json(self) -> dict[str, Any]:
        found: dict[str, Any] = {"resource": self.resource, "path": self.path, "value": self.value,
                                 "field": self.field}
        if self.source is not None:
            found["source"] = self.source
        found["by"] = self.by if self.by is not None else by_rule("(not named)")
        return found


class Trace:
    """Collects :class:`TraceEntry` items; ``resource`` names the resource being rendered."""

    __slots__ = ("entries", "resource")

    def __init__(self) -> None:
        self.entries: list[TraceEntry] = []
        self.resource = ""

    def add(self, path: str, value: Any, field: str, by: By | None = None) -> None:
        self.entries.append(TraceEntry(self.resource, path, value, field, by))

    def to_json(self) -> list[dict[str, Any]]:
        return [entry.to_json() for entry in self.entries]
