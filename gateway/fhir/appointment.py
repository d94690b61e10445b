"""Appointment and AppointmentResponse, rendered from stored records for FHIR R4 or R5.

R4 and R5 differ here in: ``cancelationReason``/``cancellationReason``, ``reasonCode``/``reason``
(CodeableReference), ``patientInstruction`` (string / CodeableReference list), participant
``required`` (code / boolean), and R5's ``subject`` and ``class``.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from gateway.domain.booking_records import AppointmentRecord, AppointmentResponseRecord
from gateway.fhir.canonical import extension, naming_system
from gateway.fhir.common import FhirVersion, Meta, coded, drop_empty, identifier, person_reference
from gateway.fhir.mappings import MappingSet
from gateway.primitives.identifiers import IdentifierKind

__all__ = ["render_appointment", "render_appointment_response"]

JSON = dict[str, Any]
_CANCELLATION_REASON = "http://terminology.hl7.org/CodeSystem/appointment-cancellation-reason"


def _extensions(record: AppointmentRecord) -> list[JSON]:
    found: list[JSON] = []
    for name, value in (
        ("cancel-booking-allowed", record.cancel_booking_allowed),
        ("rebooking-allowed", record.rebooking_allowed),
        ("message-allowed", record.message_allowed),
    ):
        if value is not None:
            found.append({"url": extension(name), "valueBoolean": value})
    found.append({"url": extension("booking-origin"), "valueCode": record.origin})
    if record.was_invitation:
        found.append({"url": extension("open-invitation"), "valueBoolean": True})
    return found


def _required(version: FhirVersion) -> str | bool:
    return "required" if version is FhirVersion.R4 else True


def _participants(record: AppointmentRecord, mappings: MappingSet, version: FhirVersion) -> list[JSON]:
    participants: list[JSON] = []
    if record.patient is not None:
        participants.append({"actor": person_reference(mappings, "Patient", record.patient),
                             "required": _required(version), "status": record.patient_status})
    if record.performer is not None:
        participants.append({"actor": person_reference(mappings, "Practitioner", record.performer),
                             "required": _required(version), "status": "accepted"})
    participants.append({
        "actor": drop_empty({"type": "HealthcareService",
                             "identifier": identifier(mappings, IdentifierKind.HSA_ID, record.facility),
                             "display": record.facility_name}),
        "required": _required(version), "status": "accepted",
    })
    if record.resource_id or record.resource_name:
        actor: JSON = {"type": "Location", "display": record.resource_name}
        if record.resource_id:
            actor["identifier"] = {"system": naming_system("crm-scheduling-resource-id"),
                                   "value": record.resource_id}
        participants.append({"actor": drop_empty(actor), "required": _required(version), "status": "accepted"})
    return participants


def _minutes(record: AppointmentRecord) -> int | None:
    if not record.start or not record.end:
        return None
    return _duration(record.start, record.end)


@functools.lru_cache(maxsize=4096)  # the same slots recur across bookings
def _duration(start: str, end: str) -> int | None:
    delta = dt.datetime.fromisoformat(end) - dt.datetime.fromisoformat(start)
    return int(delta.total_seconds() // 60) or None


def _cancellation(record: AppointmentRecord, mappings: MappingSet) -> JSON | None:
    if record.status != "cancelled" or record.cancellation_source is None:
        return None
    translation = mappings.translate("cancellation-origin", record.cancellation_source)
    codings = [] if translation is None else [
        drop_empty({"system": _CANCELLATION_REASON, "code": translation.code, "display": translation.display})
    ]
    return drop_empty({"coding": codings, "text": record.cancellation_message})


def render_appointment(record: AppointmentRecord, meta: Meta | None, mappings: MappingSet,
                       version: FhirVersion) -> JSON:
    r4 = version is FhirVersion.R4
    time_type, _ = coded(mappings, "crm-time-type", record.time_type_code, record.time_type_display)
    care_type, _ = coded(mappings, "crm-care-type", record.care_type_code, record.care_type_display)
    cancellation = _cancellation(record, mappings)
    resource: JSON = {
        "resourceType": "Appointment",
        "id": record.id,
        "meta": meta.to_json() if meta else None,
        "extension": _extensions(record),
        "identifier": [{
            "system": mappings.identifier_system(IdentifierKind.BOOKING_ID),
            "value": record.booking_id,
            "assigner": drop_empty({"identifier": identifier(mappings, IdentifierKind.HSA_ID, record.facility),
                                    "display": record.facility_name}),
        }],
        "status": record.status,
        ("cancelationReason" if r4 else "cancellationReason"): cancellation,
    }
    if not r4:
        mode = mappings.translate("crm-time-type-contact-mode", record.time_type_code or "")
        if mode is not None:
            resource["class"] = [{"coding": [drop_empty({"system": mode.system, "code": mode.code,
                                                         "display": mode.display})]}]
    resource["serviceCategory"] = [care_type] if care_type else None
    resource["appointmentType"] = time_type
    if record.reason:
        reason = {"text": record.reason}
        resource["reasonCode" if r4 else "reason"] = [reason if r4 else {"concept": reason}]
    resource["description"] = record.purpose
    if not r4 and record.patient is not None:
        resource["subject"] = person_reference(mappings, "Patient", record.patient)
    resource["start"] = record.start
    resource["end"] = record.end
    resource["minutesDuration"] = _minutes(record)
    if record.notification:
        resource["patientInstruction"] = record.notification if r4 else [{"concept": {"text": record.notification}}]
    resource["participant"] = _participants(record, mappings, version)
    return drop_empty(resource)


def render_appointment_response(record: AppointmentResponseRecord, meta: Meta | None, mappings: MappingSet,
                                version: FhirVersion) -> JSON:
    del version  # the elements used here are the same in R4 and R5
    return drop_empty({
        "resourceType": "AppointmentResponse",
        "id": record.id,
        "meta": meta.to_json() if meta else None,
        "appointment": {"reference": f"Appointment/{record.appointment_id}"},
        "start": record.start,
        "end": record.end,
        "actor": person_reference(mappings, "Patient", record.actor) if record.actor else None,
        "participantStatus": record.participant_status,
        "comment": record.comment,
    })
