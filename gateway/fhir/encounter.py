"""Encounter: care that happened (a visit, or a telephone/video contact), R4 and R5.

R4 and R5 differ in: ``class`` (Coding / list of CodeableConcept), status (``finished`` /
``completed``), ``participant.individual`` / ``participant.actor``, ``period`` / ``actualPeriod``,
and ``reasonCode`` / ``reason`` (CodeableReference inside ``value``).
"""

from __future__ import annotations

from typing import Any

from gateway.domain.group_records import EncounterRecord
from gateway.fhir.canonical import code_system, extension, naming_system
from gateway.fhir.common import FhirVersion, Meta, drop_empty, person_reference
from gateway.fhir.group import visit_type
from gateway.fhir.mappings import MappingSet

__all__ = ["render_encounter"]

JSON = dict[str, Any]
_ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
_CLASS_DISPLAY = {"AMB": "ambulatory", "VR": "virtual"}
_R5_STATUS = {"finished": "completed", "arrived": "in-progress", "triaged": "in-progress", "onleave": "on-hold"}


def _coded_extensions(record: EncounterRecord) -> list[JSON]:
    found = []
    for name, system, code in (("patient-fee", "visit-fee", record.fee_code),
                               ("payment-method", "payment-method", record.payment_method),
                               ("action-code", "action-code", record.action_code)):
        if code:
            found.append({"url": extension(name), "valueCoding": {"system": code_system(system), "code": code}})
    return found


def render_encounter(record: EncounterRecord, meta: Meta | None, mappings: MappingSet,
                     version: FhirVersion) -> JSON:
    r4 = version is FhirVersion.R4
    contact = {"system": _ACT_CODE, "code": record.contact_mode, "display": _CLASS_DISPLAY.get(record.contact_mode)}
    system = "elvis" if record.unit.kind == "hsa-id" else "no"
    period = drop_empty({"start": record.start, "end": record.end})
    resource: JSON = {
        "resourceType": "Encounter",
        "id": record.id,
        "meta": meta.to_json() if meta else None,
        "extension": _coded_extensions(record),
        "identifier": [{"system": naming_system("visit-id"), "value": record.source_id}] if record.source_id else None,
        "status": record.status if r4 else _R5_STATUS.get(record.status, record.status),
        "class": drop_empty(contact) if r4 else [{"coding": [drop_empty(contact)]}],
        "type": [kind] if (kind := visit_type(mappings, system, record.visit_type_code,
                                              record.visit_type_display)) else None,
        "subject": person_reference(mappings, "Patient", record.patient),
        "participant": [
            {"individual" if r4 else "actor": person_reference(mappings, "Practitioner", practitioner)}
            for practitioner in record.practitioners
        ],
        "appointment": [{"reference": f"Appointment/{record.appointment_id}"}] if record.appointment_id else None,
        ("period" if r4 else "actualPeriod"): period,
    }
    if record.reason:
        resource["reasonCode" if r4 else "reason"] = (
            [{"text": record.reason}] if r4 else [{"value": [{"concept": {"text": record.reason}}]}])
    resource["serviceProvider"] = person_reference(mappings, "Organization", record.unit)
    return drop_empty(resource)
