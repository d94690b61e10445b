"""Every kind of stored record, with how it is rendered to FHIR and which search tokens it has.

One explicit table (no registration at import time): a new kind of record is added here.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gateway.domain.booking_records import AppointmentRecord, AppointmentResponseRecord
from gateway.domain.group_records import EncounterRecord, GroupSessionRecord
from gateway.domain.records import decode_record
from gateway.domain.schedule_records import ScheduleRecord, SlotRecord
from gateway.fhir.appointment import render_appointment, render_appointment_response
from gateway.fhir.common import FhirVersion, Meta
from gateway.fhir.encounter import render_encounter
from gateway.fhir.group import render_group_session
from gateway.fhir.mappings import MappingSet
from gateway.fhir.schedule import render_schedule, render_slot
from gateway.fhir.tokens import (
    appointment_response_tokens,
    appointment_tokens,
    encounter_tokens,
    group_session_tokens,
    schedule_tokens,
    slot_tokens,
)
from gateway.ports.store import Stored, Token

__all__ = ["Kind", "Observer", "decode_stored", "kind_of", "kinds", "render_record", "render_stored"]

JSON = dict[str, Any]
#: Told every record just rendered and its resource (previews trace them; gateway/toolkit/trace).
Observer = Callable[[Any, JSON], None]


@dataclass(frozen=True, slots=True)
class Kind:
    record: type
    render: Callable[[Any, Meta | None, MappingSet, FhirVersion], JSON]
    tokens: Callable[[Any, MappingSet], list[Token]]


@functools.cache
def kinds() -> dict[str, Kind]:
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
                  observe: Observer | None = None) -> JSON:
    """Render a record already decoded (or just written) with the meta of its stored version.

    With ``observe`` (previews only: the trace of every coded and identifier element), the result
    is shown to it; without, rendering costs exactly what it did."""
    resource = kind_of(record).render(record, Meta(stored.version_id, stored.last_updated), mappings, version)
    if observe is not None:
        observe(record, resource)
    return resource
