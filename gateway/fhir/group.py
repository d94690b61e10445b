"""A group session as one FHIR Appointment with a participant per patient (R4 and R5).

Marked with HL7 Norway's ``no-basis-group`` extension; capacity, attendance, the patient's own
booking and fee rules are extensions of the project's own (docs/fhir-extensions.md). R5 also names
the group as ``subject`` (a Group, by identifier).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from gateway.domain.group_records import GroupParticipant, GroupSessionRecord
from gateway.fhir.canonical import NO_BASIS_GROUP, code_system, extension, naming_system
from gateway.fhir.common import FhirVersion, Meta, drop_empty, person_reference
from gateway.fhir.mappings import MappingSet

__all__ = ["VISIT_TYPE_MAPS", "render_group_session", "visit_type"]

JSON = dict[str, Any]
_CANCELLATION_REASON = "http://terminology.hl7.org/CodeSystem/appointment-cancellation-reason"
_CANCELLED_BY = {"pat": "Patient", "prov": "Provider"}
# Which ConceptMap translates each source system's visit/appointment types (absent map: local code only).
VISIT_TYPE_MAPS = {"elvis": "elvis-visit-type", "no": "no-appointment-type"}


def visit_type(mappings: MappingSet, system: str, code: str | None, display: str | None) -> JSON | None:
    """Visit/appointment type: the mapped coding when the system's ConceptMap has the code, then
    the source coding (the map's source system, or the generic visit-type system without a map)."""
    if not code and not display:
        return None
    map_id = VISIT_TYPE_MAPS.get(system)
    codings: list[JSON] = []
    source = code_system("visit-type")
    if map_id and mappings.has(map_id):
        source = mappings.source_system(map_id)
        translation = mappings.translate(map_id, code) if code else None
        if translation is not None:
            codings.append(drop_empty({"system": translation.system, "code": translation.code,
                                       "display": translation.display}))
    if code:
        codings.append(drop_empty({"system": source, "code": code, "display": display}))
    return drop_empty({"coding": codings, "text": display or code})


def cancellation_reason(cancelled_by: str | None, text: str | None) -> JSON | None:
    if cancelled_by is None:
        return None
    return drop_empty({"coding": [{"system": _CANCELLATION_REASON, "code": cancelled_by,
                                   "display": _CANCELLED_BY.get(cancelled_by)}], "text": text})


def _participant(person: GroupParticipant, mappings: MappingSet, version: FhirVersion) -> JSON:
    extensions: list[JSON] = []
    if person.attendance:
        extensions.append({"url": extension("participant-attendance"), "valueCode": person.attendance})
    if person.booking_id or person.secondary_booking:
        booking: list[JSON] = []
        if person.booking_id:
            booking.append({"url": "identifier", "valueIdentifier": {
                "system": naming_system("participant-booking-id"), "value": person.booking_id}})
        booking.append({"url": "secondary", "valueBoolean": person.secondary_booking})
        extensions.append({"url": extension("participant-booking"), "extension": booking})
    if person.fee_rule:
        extensions.append({"url": extension("fee-rule"), "valueCoding": {
            "system": code_system("fee-rule"), "code": person.fee_rule}})
    if person.cancelled_by or person.deviation:
        cancellation: list[JSON] = []
        if person.cancelled_by:
            cancellation.append({"url": "by", "valueCoding": {
                "system": _CANCELLATION_REASON, "code": person.cancelled_by,
                "display": _CANCELLED_BY.get(person.cancelled_by)}})
        if person.deviation:
            cancellation.append({"url": "deviation", "valueString": person.deviation})
        extensions.append({"url": extension("participant-cancellation"), "extension": cancellation})
    return drop_empty({
        "extension": extensions,
        "actor": person_reference(mappings, "Patient", person.patient),
        "required": "required" if version is FhirVersion.R4 else True,
        "status": person.status,
        # Check-in and check-out during the session: when this patient took part.
        "period": drop_empty({"start": person.checked_in, "end": person.checked_out}),
    })


def _minutes(start: str | None, end: str | None) -> int | None:
    if not start or not end:
        return None
    return int((dt.datetime.fromisoformat(end) - dt.datetime.fromisoformat(start)).total_seconds() // 60) or None


def render_group_session(record: GroupSessionRecord, meta: Meta | None, mappings: MappingSet,
                         version: FhirVersion) -> JSON:
    r4 = version is FhirVersion.R4
    extensions: list[JSON] = [{"url": NO_BASIS_GROUP, "valueBoolean": True}]
    if record.capacity is not None:
        extensions.append({"url": extension("group-capacity"), "valuePositiveInt": record.capacity})
    for name, value in (("online-bookable", record.online_bookable), ("helfo-tariffs", record.helfo_tariffs)):
        if value is not None:
            extensions.append({"url": extension(name), "valueBoolean": value})
    if record.extra_fee is not None:
        extensions.append({"url": extension("extra-fee"),
                           "valueMoney": {"value": float(record.extra_fee), "currency": "NOK"}})
    required: str | bool = "required" if r4 else True
    participants = [
        {"actor": person_reference(mappings, "Practitioner", practitioner), "required": required,
         "status": "accepted"} for practitioner in record.practitioners
    ]
    participants.append({"actor": person_reference(mappings, "HealthcareService", record.unit),
                         "required": required, "status": "accepted"})
    participants += [_participant(person, mappings, version) for person in record.participants]
    text = " ".join(part for part in (record.group_name, f"#{record.session_number}"
                                      if record.session_number is not None else None) if part) or None
    resource: JSON = {
        "resourceType": "Appointment",
        "id": record.id,
        "meta": meta.to_json() if meta else None,
        "extension": extensions,
        "identifier": [{"system": naming_system("group-session-id"), "value": record.session_id}],
        "status": record.status,
        ("cancelationReason" if r4 else "cancellationReason"): cancellation_reason(record.cancelled_by,
                                                                                    record.cancellation_text),
        "appointmentType": visit_type(mappings, record.system, record.visit_type_code, record.visit_type_display),
        "description": text,
    }
    if not r4 and record.group_id:
        resource["subject"] = drop_empty({"type": "Group", "identifier": {
            "system": naming_system("group-id"), "value": record.group_id}, "display": record.group_name})
    resource["start"] = record.start
    resource["end"] = record.end
    resource["minutesDuration"] = _minutes(record.start, record.end)
    notes = [note for note in (record.note, record.group_note) if note]
    if notes:
        # R4 has one comment string; R5 keeps the session note and the shared group note apart.
        resource["comment" if r4 else "note"] = "\n\n".join(notes) if r4 else [{"text": note} for note in notes]
    resource["participant"] = participants
    return drop_empty(resource)
