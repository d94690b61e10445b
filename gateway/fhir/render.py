"""Stored records to FHIR JSON, for the release a reader asked for, and Bundles around them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from gateway.bookings.records import AppointmentRecord, AppointmentResponseRecord, record_from_json
from gateway.fhir.appointment import render_appointment, render_appointment_response
from gateway.fhir.common import FhirVersion, Meta
from gateway.mappings import MappingSet
from gateway.store.port import Stored

__all__ = ["RESOURCE_TYPES", "render_stored", "searchset_bundle"]

JSON = dict[str, Any]
RESOURCE_TYPES = ("Appointment", "AppointmentResponse", "Encounter")


def render_stored(stored: Stored, mappings: MappingSet, version: FhirVersion) -> JSON:
    meta = Meta(stored.version_id, stored.last_updated)
    record = record_from_json(stored.resource_type, stored.record)
    if isinstance(record, AppointmentRecord):
        return render_appointment(record, meta, mappings, version)
    if isinstance(record, AppointmentResponseRecord):
        return render_appointment_response(record, meta, mappings, version)
    raise TypeError(f"no renderer for {stored.resource_type}")


def searchset_bundle(resources: Iterable[JSON], *, total: int, base_url: str, self_link: str,
                     next_link: str | None) -> JSON:
    links = [{"relation": "self", "url": self_link}]
    if next_link:
        links.append({"relation": "next", "url": next_link})
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": total,
        "link": links,
        "entry": [{"fullUrl": f"{base_url}/{resource['resourceType']}/{resource['id']}", "resource": resource,
                   "search": {"mode": "match"}} for resource in resources],
    }
