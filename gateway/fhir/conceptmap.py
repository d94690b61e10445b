"""The ConceptMaps the gateway translates with, served as FHIR: R4 as shipped, R5 converted on read.

The files in ``mappings/`` are R4 JSON (what integration engineers edit). R5 renamed and re-coded a
few elements; :func:`render_concept_map` converts them per the R4→R5 ConceptMap mapping:

- ``group.element.target.equivalence`` → ``relationship`` (:data:`RELATIONSHIP`);
- ``sourceUri``/``sourceCanonical``/``targetUri``/``targetCanonical`` → ``sourceScope…``/``targetScope…``;
- ``identifier`` (0..1 in R4) → a list (0..* in R5);
- ``group.unmapped.mode`` ``provided`` → ``use-source-code``, ``unmapped.url`` → ``otherMap``;
- ``dependsOn``/``product``: ``property`` → ``attribute``, ``value`` → ``valueString``.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any, Final

from gateway.fhir.common import FhirVersion

__all__ = ["CONCEPT_MAP_SEARCH", "RELATIONSHIP", "TRANSLATE_DEFINITION", "render_concept_map", "search_concept_maps"]

JSON = dict[str, Any]

TRANSLATE_DEFINITION: Final = "http://hl7.org/fhir/OperationDefinition/ConceptMap-translate"

# Search parameters of GET /fhir/ConceptMap, for the route and the CapabilityStatement alike.
CONCEPT_MAP_SEARCH: Final = {
    "url": ("uri", "The map's canonical URL (exact)"),
    "name": ("string", "The map's computer name (case-insensitive, starts with)"),
}

# R4 ConceptMapEquivalence → R5 ConceptMapRelationship (the mapping HL7 publishes between the two).
RELATIONSHIP: Final = {
    "relatedto": "related-to",
    "equivalent": "equivalent",
    "equal": "equivalent",
    "wider": "source-is-narrower-than-target",
    "subsumes": "source-is-narrower-than-target",
    "narrower": "source-is-broader-than-target",
    "specializes": "source-is-broader-than-target",
    "inexact": "related-to",
    "unmatched": "not-related-to",
    "disjoint": "not-related-to",
}
_SCOPES: Final = {"sourceUri": "sourceScopeUri", "sourceCanonical": "sourceScopeCanonical",
                  "targetUri": "targetScopeUri", "targetCanonical": "targetScopeCanonical"}
_UNMAPPED_MODE: Final = {"provided": "use-source-code", "fixed": "fixed", "other-map": "other-map"}


def _r5_dependency(item: JSON) -> JSON:
    converted = {key: value for key, value in item.items() if key not in {"property", "value", "system", "display"}}
    converted["attribute"] = item.get("property")
    if "value" in item:
        converted["valueString"] = item["value"]
    return converted


def _r5_target(target: JSON) -> JSON:
    converted = {key: value for key, value in target.items() if key != "equivalence"}
    if "equivalence" in target:
        converted["relationship"] = RELATIONSHIP.get(target["equivalence"], "related-to")
    for key in ("dependsOn", "product"):
        if isinstance(target.get(key), list):
            converted[key] = [_r5_dependency(item) for item in target[key]]
    return converted


def _r5_group(group: JSON) -> JSON:
    converted = dict(group)
    converted["element"] = [
        {**element, "target": [_r5_target(target) for target in element.get("target", [])]}
        if element.get("target") else element
        for element in group.get("element", [])
    ]
    unmapped = group.get("unmapped")
    if isinstance(unmapped, dict):
        mode = unmapped.get("mode")
        moved = {key: value for key, value in unmapped.items() if key != "url"}
        moved["mode"] = _UNMAPPED_MODE.get(str(mode), mode)
        if "url" in unmapped:
            moved["otherMap"] = unmapped["url"]
        converted["unmapped"] = moved
    return converted


def render_concept_map(resource: Mapping[str, Any], version: FhirVersion) -> JSON:
    """A copy of a shipped (R4) map in the release asked for; the loaded map itself is never changed."""
    if version is FhirVersion.R4:
        return copy.deepcopy(dict(resource))
    converted: JSON = {}
    for key, value in copy.deepcopy(dict(resource)).items():
        if key in _SCOPES:
            converted[_SCOPES[key]] = value
        elif key == "identifier" and isinstance(value, dict):
            converted[key] = [value]
        elif key == "group" and isinstance(value, list):
            converted[key] = [_r5_group(group) for group in value]
        else:
            converted[key] = value
    return converted


def search_concept_maps(maps: Iterable[Mapping[str, Any]], *, url: str | None, name: str | None
                        ) -> list[Mapping[str, Any]]:
    """FHIR search semantics: ``url`` matches exactly, ``name`` case-insensitively from the start."""
    found = []
    for resource in maps:
        if url is not None and resource.get("url") != url:
            continue
        if name is not None and not str(resource.get("name", "")).casefold().startswith(name.casefold()):
            continue
        found.append(resource)
    return sorted(found, key=lambda resource: str(resource.get("id")))
