"""What the gateway stores about a booking: version-neutral records, rendered to FHIR R4 or R5 on read.

Storing the record rather than one FHIR release means a reader chooses the release per request, and
a changed ConceptMap shows on the next read after a restart without re-ingesting anything.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Self

import orjson

__all__ = ["AppointmentRecord", "AppointmentResponseRecord", "PersonRef", "record_from_json", "record_to_json"]


@dataclass(frozen=True, slots=True)
class PersonRef:
    kind: str  # an IdentifierKind value
    value: str
    display: str | None = None


@dataclass(frozen=True, slots=True)
class AppointmentRecord:
    id: str
    facility: str
    booking_id: str
    status: str
    facility_name: str | None = None
    start: str | None = None  # ISO 8601 with the Swedish offset
    end: str | None = None
    patient: PersonRef | None = None
    patient_status: str = "accepted"
    performer: PersonRef | None = None
    purpose: str | None = None
    reason: str | None = None
    resource_name: str | None = None
    resource_id: str | None = None
    time_type_code: str | None = None
    time_type_display: str | None = None
    care_type_code: str | None = None
    care_type_display: str | None = None
    cancel_booking_allowed: bool | None = None
    rebooking_allowed: bool | None = None
    message_allowed: bool | None = None
    notification: str | None = None
    origin: str = "pas"
    was_invitation: bool = False
    cancellation_source: str | None = None
    cancellation_message: str | None = None

    resource_type = "Appointment"

    def with_changes(self, **changes: Any) -> Self:
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True, slots=True)
class AppointmentResponseRecord:
    id: str
    appointment_id: str
    participant_status: str
    start: str | None
    end: str | None
    actor: PersonRef | None
    comment: str | None = None

    resource_type = "AppointmentResponse"


Record = AppointmentRecord | AppointmentResponseRecord
_TYPES: dict[str, type[AppointmentRecord] | type[AppointmentResponseRecord]] = {
    "Appointment": AppointmentRecord,
    "AppointmentResponse": AppointmentResponseRecord,
}


def record_to_json(record: Record) -> bytes:
    return orjson.dumps(dataclasses.asdict(record))


def _person(value: object) -> PersonRef | None:
    return PersonRef(**value) if isinstance(value, dict) else None


def record_from_json(resource_type: str, data: bytes) -> Record:
    fields = orjson.loads(data)
    for name in ("patient", "performer", "actor"):
        if name in fields:
            fields[name] = _person(fields[name])
    return _TYPES[resource_type](**fields)
