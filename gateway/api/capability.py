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
            "interaction": [{"code": "read"}, {"code": "vread"}, {"code": "history-instance"},
                            {"code": "search-type"}],
            "versioning": "versioned",
            "conditionalRead": "not-match",  # If-None-Match with the current ETag answers 304
            "readHistory": True,  # vread returns past versions too
            "updateCreate": False,
            "searchParam": [
                {"name": name, "type": _TYPES[kind], "documentation": text}
                for name, (kind, _, text) in parameters.items()
            ] + [
                {"name": "_count", "type": "number",
                 "documentation": "page size (default 50, at most 500); 0: the total only"},
                {"name": "_offset", "type": "number", "documentation": "paging offset, as used in next links"},
                {"name": "_sort", "type": "string", "documentation": "sort by "
                 + ", ".join([*(name for name, (kind, _, _) in parameters.items() if kind == "date"), "_lastUpdated"])
                 + "; - before it for descending"},
                {"name": "_summary", "type": "token", "documentation": "count: the total only, no entries"},
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
        "format": ["application/fhir+json", "json"],
        "rest": [{
            "mode": "server",
            "security": _SECURITY,
            "documentation": "Resources are created from booking messages posted to /bookings (XML: crm:scheduling "
                             "1.1); the FHIR interface is read and search only, plus ConceptMap/$translate. "
                             "Unknown search parameters are refused with 400. R5 is served with fhirVersion=5.0 "
                             "on the Accept media type.",
            "resource": resources,
            "operation": [_TRANSLATE],
        }],
    }


# What the gateway truly checks (gateway/auth): a bearer credential on every request, either an
# OAuth 2.0 access token (a JWT, RS256/ES256, from an issuer the operator trusts: HelseID,
# Maskinporten…) or a static API key. It is no SMART on FHIR authorization server and publishes no
# .well-known/smart-configuration, so the SMART-on-FHIR service code is not claimed.
_SECURITY: dict[str, Any] = {
    "cors": False,
    "service": [{
        "coding": [{"system": "http://terminology.hl7.org/CodeSystem/restful-security-service", "code": "OAuth",
                    "display": "OAuth"}],
        "text": "OAuth 2.0 bearer access token (JWT) or API key",
    }],
    "description": "Every request needs Authorization: Bearer <credential>: an OAuth 2.0 access token, a JWT signed "
                   "RS256 or ES256 by an issuer this gateway is configured to trust (HelseID, Maskinporten or an own "
                   "authorization server; the client id is its client_id, azp or sub claim, the scopes its scope or "
                   "scp claim), or a static API key (ngk_...). Reads and searches need the scope fhir:read. The "
                   "client's tenants (care units) are bound by the operator, never read from the token; another "
                   "tenant's resources answer 404. This server issues no tokens and is no SMART on FHIR "
                   "authorization server. A missing or invalid credential is 401 with WWW-Authenticate: Bearer.",
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
