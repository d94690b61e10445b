"""The port of an inbound format: what the gateway must know of a message format to take it.

Each inbound adapter package (``adapters/inbound/<format>``) describes itself in one
:class:`InboundFormat`; the registry (:class:`gateway.ingest.registry.InboundRegistry`), built in
``gateway/bootstrap`` from the table of formats there, answers from these entries which format a
message is (ingest, preview, metrics) and which maps the formats need (start-up and ``nordgate
check-mappings``); the entry a message was read as tells the units its events act for (tenancy) and
where a record field came from in the message (trace). Adding a format is one adapter package and one
entry in that table.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["HEADER", "STORED", "InboundFormat", "TraceSource", "field_head", "patient_in_field"]

#: Trace texts of values no message element carries: the push's header, or the stored state.
HEADER = "header X-Nordgate-Source (or ?source=)"
STORED = "stored state (an earlier message)"

#: Where ``field`` of ``record`` came from when ``event`` was applied: a path into the message,
#: :data:`HEADER`, :data:`STORED`, or None (no message element; a rule decided it).
TraceSource = Callable[[Any, str, Any], str | None]


def field_head(field: str) -> tuple[str, int | None, str]:
    """``participants[1].patient`` → ("participants", 1, "patient"); ``facility`` → ("facility", None, "")."""
    head, _, rest = field.partition(".")
    if head.endswith("]") and "[" in head:
        name, index = head[:-1].split("[", 1)
        return name, int(index), rest
    return head, None, rest


def patient_in_field(record: Any, field: str) -> str | None:
    name, index, _ = field_head(field)
    if name == "participants" and index is not None and index < len(record.participants):
        return str(record.participants[index].patient.value)
    person = getattr(record, "patient", None)
    return str(person.value) if person is not None else None  # a PersonRef


@dataclass(frozen=True)
class InboundFormat:
    #: The format's name: the ``format`` of a preview and the label of ``nordgate_pushes_total``.
    name: str
    #: How the message is written: the registry decodes it once (hardened) before asking the formats.
    syntax: Literal["xml", "json"]
    #: For the ``FORMAT_UNKNOWN`` answer: "supported: …".
    description: str
    #: Whether a message is this format's: the message element (XML, SOAP envelope taken off) or the
    #: decoded document (JSON). The first format that says yes parses it.
    recognises: Callable[[Any], bool]
    #: The canonical events of a recognised message (element or document), from ``source``.
    parse: Callable[[Any, str], list[Any]]
    #: Recognition from the raw bytes alone (metrics of refused pushes; no second parse).
    sniff: Callable[[bytes], bool]
    #: The domain event types ``parse`` makes; each must have a handler (``gateway/bootstrap``).
    event_types: tuple[type, ...]
    #: The units (HSA-id, HER-id) an event of this format acts for: its tenants.
    units: Callable[[Any], list[str]]
    #: Content types a push of this format may carry.
    media_types: tuple[str, ...] = ()
    #: ConceptMaps (``mappings/<id>.json``) the rules applied to its events need.
    required_maps: tuple[str, ...] = ()
    #: Per event type name, where each record field came from in the message (previews).
    trace_sources: Mapping[str, TraceSource] = field(default_factory=dict)

    def source_table(self, event: Any) -> TraceSource | None:
        """The trace table of an event this format made."""
        return self.trace_sources.get(type(event).__name__)
