"""The CapabilityStatement: generated from the same tables the routes use, so it cannot drift."""

from __future__ import annotations

from typing import Any

from gateway.api.search import SEARCH_PARAMETERS
from gateway.fhir.common import FhirVersion
from gateway.fhir.conceptmap import CONCEPT_MAP_SEARCH, TRANSLATE_DEFINITION

__all__ = ["capability_statement"]

_TYPES = {"token": "token", "date": "date", "reference": "reference"}


def capability_statement(version: FhirVersion, *, base_url: str, software_version: str,
                         published: str) -> dict[str, Any]:
    resources = []
    for resource_type, parameters in SEARCH_PARAMETERS.items():
        resources.append({
            "type": resource_type,
            "interaction": [{"code": "read"}, {"code": "vread"}, {"code": "search-type"}],
            "versioning": "versioned",
            "readHistory": False,
            "updateCreate": False,
            "searchParam": [
                {"name": name, "type": _TYPES[kind], "documentation": text}
                for name, (kind, _, text) in parameters.items()
            ] + [
                {"name": "_count", "type": "number", "documentation": "page size (default 50, at most 500)"},
                {"name": "_offset", "type": "number", "documentation": "paging offset, as used in next links"},
            ],
        })
    resources.append(_concept_maps())
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": published,
        "publisher": "nordgate",
        "kind": "instance",
        "software": {"name": "nordgate", "version": software_version},
        "implementation": {"description": "nordgate FHIR gateway (read-only FHIR; bookings arrive at POST /bookings)",
                           "url": base_url},
        "fhirVersion": version.release,
        "format": ["application/fhir+json"],
        "rest": [{
            "mode": "server",
            "documentation": "Resources are created from booking messages posted to /bookings (XML: crm:scheduling "
                             "1.1); the FHIR interface is read and search only, plus ConceptMap/$translate. "
                             "Unknown search parameters are refused with 400. R5 is served with fhirVersion=5.0 "
                             "on the Accept media type.",
            "resource": resources,
        }],
    }


# The ConceptMaps the gateway translates with (mappings/): read, search and $translate, not versioned.
_TRANSLATE = {"name": "translate", "definition": TRANSLATE_DEFINITION,
              "documentation": "GET or POST (Parameters); type level with url, or instance level "
                               "ConceptMap/{id}/$translate. reverse and dependency are not supported."}


def _concept_maps() -> dict[str, Any]:
    return {
        "type": "ConceptMap",
        "interaction": [{"code": "read"}, {"code": "search-type"}],
        "versioning": "no-version",
        "readHistory": False,
        "updateCreate": False,
        "searchParam": [{"name": name, "type": kind, "documentation": text}
                        for name, (kind, text) in CONCEPT_MAP_SEARCH.items()],
        "operation": [_TRANSLATE],
    }
