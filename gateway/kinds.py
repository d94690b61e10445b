"""Every kind of stored record, with how it is rendered to FHIR and which search tokens it has.

One explicit table (no registration at import time): a new kind of record is added here.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gateway.domain.records import decode_record
from gateway.fhir.common import FhirVersion, Meta
from gateway.mappings import MappingSet
from gateway.ports.store import Stored, Token

if TYPE_CHECKING:
    from gateway.trace.collector import Trace

__all__ = ["Kind", "decode_stored", "kind_of", "kinds", "render_record", "render_stored"]

JSON = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Kind:
    record: type
    render: Callable[[Any, Meta | None, MappingSet, FhirVersion], JSON]
    tokens: Callable[[Any, MappingSet], list[Token]]


@functools.cache
def kinds() -> dict[str, Kind]:
    # Imported here so that the modules behind each kind may themselves use this table.
    from gateway.bookings.tokens import appointment_response_tokens, appointment_tokens  # noqa: PLC0415
    from gateway.domain.booking_records import AppointmentRecord, AppointmentResponseRecord  # noqa: PLC0415
    from gateway.domain.group_records import EncounterRecord, GroupSessionRecord  # noqa: PLC0415
    from gateway.domain.schedule_records import ScheduleRecord, SlotRecord  # noqa: PLC0415
    from gateway.fhir.appointment import render_appointment, render_appointment_response  # noqa: PLC0415
    from gateway.fhir.encounter import render_encounter  # noqa: PLC0415
    from gateway.fhir.group import render_group_session  # noqa: PLC0415
    from gateway.fhir.schedule import render_schedule, render_slot  # noqa: PLC0415
    from gateway.groups.tokens import encounter_tokens, group_session_tokens  # noqa: PLC0415
    from gateway.schedule.tokens import schedule_tokens, slot_tokens  # noqa: PLC0415

    table = [
        Kind(AppointmentRecord, render_appointment, appointment_tokens),
        Kind(AppointmentResponseRecord, render_appointment_response, appointment_response_tokens),
        Kind(GroupSessionRecord, render_group_session, group_session_tokens),
        Kind(EncounterRecord, render_encounter, encounter_tokens),
        Kind(ScheduleRecord, render_schedule, schedule_tokens),
        Kind(SlotRecord, render_slot, slot_tokens),
    ]
    return {kind.record.kind: kind for kind in table}  # type: ignore[attr-defined]


@functools.cache
def _classes() -> dict[str, type]:
    return {name: kind.record for name, kind in kinds().items()}


def kind_of(record: Any) -> Kind:
    return kinds()[record.kind]


def decode_stored(stored: Stored) -> Any:
    return decode_record(stored.record, _classes())


def render_stored(stored: Stored, mappings: MappingSet, version: FhirVersion) -> JSON:
    return render_record(decode_stored(stored), stored, mappings, version)


def render_record(record: Any, stored: Stored, mappings: MappingSet, version: FhirVersion,
                  trace: Trace | None = None) -> JSON:
    """Render a record already decoded (or just written) with the meta of its stored version.

    With a ``trace`` (previews only), every coded and identifier element of the result is traced
    to its record field and map entry; without one, rendering costs exactly what it did."""
    resource = kind_of(record).render(record, Meta(stored.version_id, stored.last_updated), mappings, version)
    if trace is not None:
        from gateway.trace.fields import trace_resource  # noqa: PLC0415 - only previews pay for it

        trace_resource(trace, record, resource, mappings)
    return resource
