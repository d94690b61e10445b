"""Norwegian group-appointment events (gruppetimer, the clinic system's Gruppetimer guide) inbound adapter: one JSON
event per
message from the clinic system.

Pure: bytes (or an already decoded document) in, one canonical
:class:`~gateway.domain.group_appointments.GroupAppointmentEvent` out; no I/O, no clock. Three
walls, as for settlement batches: hardened decoding (:mod:`gateway.primitives.jsonsafe`, codes ``EVENT_JSON_*``),
``schemas/group-appointment-event.schema.json`` (``EVENT_SHAPE_INVALID`` 400 /
``EVENT_VALUE_INVALID`` 422, located by JSON pointer), then the checks of :mod:`.reader`.
"""

from __future__ import annotations

import functools
from typing import Any, Final

from adapters.inbound.no_group.reader import read_event
from adapters.inbound.no_group.trace_sources import group_event_source
from gateway.domain.group_appointments import GroupAppointmentEvent
from gateway.ports.inbound import InboundFormat
from gateway.primitives.jsonsafe import SchemaValidator, check_schema, decode_json, looks_like_json, validator_for
from gateway.primitives.resources import load_json_schema

__all__ = ["DEFAULT_MAX_BYTES", "FORMAT", "INBOUND_FORMAT", "SCHEMA_NAME", "is_group_event", "parse",
           "parse_document"]

FORMAT: Final = "no-group-appointment"
SCHEMA_NAME: Final = "group-appointment-event.schema.json"
DEFAULT_MAX_BYTES: Final = 1024 * 1024


@functools.cache
def _validator() -> SchemaValidator:
    return validator_for(load_json_schema(SCHEMA_NAME))


def is_group_event(document: Any) -> bool:
    """Whether a decoded JSON document claims to be a group-appointment event (then this adapter
    judges it, and its faults are reported against this format's schema)."""
    return isinstance(document, dict) and ("groupAppointmentId" in document or "event" in document)


def parse_document(document: Any, *, source: str) -> list[GroupAppointmentEvent]:
    check_schema(_validator(), document, prefix="EVENT", what="group-appointment event")
    return [read_event(document, source=source)]


def parse(data: bytes, *, source: str, max_bytes: int = DEFAULT_MAX_BYTES) -> list[GroupAppointmentEvent]:
    document = decode_json(data, max_bytes=max_bytes, prefix="EVENT", what="event")
    return parse_document(document, source=source)


def units(event: GroupAppointmentEvent) -> list[str]:
    # The clinic's HER-id, never its orgnr: the stored appointment is keyed by the HER-id, and
    # an orgnr in the event is only the sender's claim.
    return [event.clinic.her_id]


INBOUND_FORMAT = InboundFormat(
    name=FORMAT,
    syntax="json",
    description='Norwegian group-appointment events (one object with "event" and "groupAppointmentId")',
    recognises=is_group_event,
    parse=lambda document, source: parse_document(document, source=source),
    # Every JSON push is taken for one of these until a JSON format of its own says otherwise.
    sniff=looks_like_json,
    event_types=(GroupAppointmentEvent,),
    units=units,
    media_types=("application/json",),
    required_maps=("no-appointment-type",),
    trace_sources={"GroupAppointmentEvent": group_event_source},
)
