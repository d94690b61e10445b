"""Schedule and Slot, rendered from stored records for FHIR R4 or R5.

Codes, as on the bookings' Appointments: the care type (careTypeID, ConceptMap ``crm-care-type``)
is the ``serviceCategory``; the time type (timeTypeID, ConceptMap ``crm-time-type``) is the
``appointmentType`` (mapped coding first, then the local one) and, as the PAS's own code only, the
``serviceType`` (what the citizen picks on 1177: "Nybesök", "Telefonkontakt").

R4 and R5 differ here in: ``serviceType`` (CodeableConcept / CodeableReference), Slot
``appointmentType`` (one / a list), and R5's Schedule ``name``.
"""

from __future__ import annotations

from typing import Any

from gateway.domain.schedule_records import LocalConcept, ScheduleRecord, SlotRecord
from gateway.fhir.canonical import naming_system
from gateway.fhir.common import FhirVersion, Meta, coded, drop_empty, identifier, person_reference
from gateway.fhir.mappings import MappingSet
from gateway.primitives.identifiers import IdentifierKind

__all__ = ["render_schedule", "render_slot"]

JSON = dict[str, Any]
_TIME_TYPE = "crm-time-type"
_CARE_TYPE = "crm-care-type"


def _local(mappings: MappingSet, map_id: str, concept: LocalConcept) -> JSON:
    """The PAS's own code alone (no translation): a CodeableConcept."""
    coding = drop_empty({"system": mappings.source_system(map_id), "code": concept.code,
                         "display": concept.display}) if concept.code else None
    return drop_empty({"coding": [coding] if coding else [], "text": concept.display})


def _service_types(mappings: MappingSet, concepts: list[LocalConcept], version: FhirVersion) -> list[JSON]:
    found = [_local(mappings, _TIME_TYPE, concept) for concept in concepts]
    return found if version is FhirVersion.R4 else [{"concept": concept} for concept in found]


def _mapped(mappings: MappingSet, map_id: str, concept: LocalConcept | None) -> JSON | None:
    if concept is None:
        return None
    return coded(mappings, map_id, concept.code, concept.display)[0]


def _actors(record: ScheduleRecord, mappings: MappingSet) -> list[JSON]:
    actors = [drop_empty({"type": "HealthcareService",
                          "identifier": identifier(mappings, IdentifierKind.HSA_ID, record.facility),
                          "display": record.facility_name})]
    if record.performer is not None:
        actors.append(person_reference(mappings, "Practitioner", record.performer))
    if record.resource_id or record.resource_name:
        location: JSON = {"type": "Location", "display": record.resource_name}
        if record.resource_id:
            location["identifier"] = {"system": naming_system("crm-scheduling-resource-id"),
                                      "value": record.resource_id}
        actors.append(drop_empty(location))
    return actors


def _name(record: ScheduleRecord) -> str | None:
    performer = record.performer.display if record.performer else None
    parts = [part for part in (record.facility_name, performer, record.resource_name) if part]
    return " – ".join(parts) or None


def render_schedule(record: ScheduleRecord, meta: Meta | None, mappings: MappingSet,
                    version: FhirVersion) -> JSON:
    categories = [_mapped(mappings, _CARE_TYPE, concept) for concept in record.care_types]
    resource: JSON = {
        "resourceType": "Schedule",
        "id": record.id,
        "meta": meta.to_json() if meta else None,
        "active": True,
        "serviceCategory": [category for category in categories if category],
        "serviceType": _service_types(mappings, list(record.time_types), version),
    }
    if version is FhirVersion.R5:
        resource["name"] = _name(record)
    resource["actor"] = _actors(record, mappings)
    resource["planningHorizon"] = drop_empty({"start": record.horizon_start, "end": record.horizon_end})
    return drop_empty(resource)


def render_slot(record: SlotRecord, meta: Meta | None, mappings: MappingSet, version: FhirVersion) -> JSON:
    category = _mapped(mappings, _CARE_TYPE, record.care_type)
    appointment_type = _mapped(mappings, _TIME_TYPE, record.time_type)
    r4 = version is FhirVersion.R4
    return drop_empty({
        "resourceType": "Slot",
        "id": record.id,
        "meta": meta.to_json() if meta else None,
        "serviceCategory": [category] if category else None,
        "serviceType": _service_types(mappings, [record.time_type] if record.time_type else [], version),
        "appointmentType": (appointment_type if r4 else [appointment_type]) if appointment_type else None,
        "schedule": {"reference": f"Schedule/{record.schedule_id}"},
        "status": record.status,
        "start": record.start,
        "end": record.end,
    })
