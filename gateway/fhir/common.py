"""Small builders shared by the FHIR renderers: plain dicts, no model objects on the hot path.

Tests validate every rendered resource with fhir.resources (R4B and R5 models); the renderers
themselves stay plain so a push costs microseconds, not a pydantic validation.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from gateway.domain.booking_records import PersonRef
from gateway.fhir.mappings import MappingSet, Translation
from gateway.primitives.identifiers import IdentifierKind

__all__ = ["FhirVersion", "Meta", "coded", "drop_empty", "identifier", "person_reference"]

JSON = dict[str, Any]


class FhirVersion(StrEnum):
    R4 = "4.0"
    R5 = "5.0"

    @property
    def release(self) -> str:
        return "4.0.1" if self is FhirVersion.R4 else "5.0.0"


class Meta:
    __slots__ = ("last_updated", "version_id")

    def __init__(self, version_id: int, last_updated: str) -> None:
        self.version_id = version_id
        self.last_updated = last_updated

    def to_json(self) -> JSON:
        return {"versionId": str(self.version_id), "lastUpdated": self.last_updated}


_EMPTY: tuple[object, ...] = (None, [], {}, "")


def drop_empty(resource: JSON) -> JSON:
    return {key: value for key, value in resource.items() if value not in _EMPTY}


def identifier(mappings: MappingSet, kind: IdentifierKind | str, value: str) -> JSON:
    return {"system": mappings.identifier_system(kind), "value": value}


def person_reference(mappings: MappingSet, resource_type: str, person: PersonRef) -> JSON:
    return drop_empty({
        "type": resource_type,
        "identifier": identifier(mappings, person.kind, person.value),
        "display": person.display,
    })


def coded(mappings: MappingSet, map_id: str, code: str | None, display: str | None,
          ) -> tuple[JSON | None, Translation | None]:
    """A CodeableConcept of a local source code: the mapped target coding first (when the
    ConceptMap has the code), then the source coding, and the source's display as text."""
    if not code and not display:
        return None, None
    codings: list[JSON] = []
    translation = mappings.translate(map_id, code) if code else None
    if translation is not None:
        codings.append(drop_empty({"system": translation.system, "code": translation.code,
                                   "display": translation.display}))
    if code:
        codings.append(drop_empty({"system": mappings.source_system(map_id), "code": code, "display": display}))
    return drop_empty({"coding": codings, "text": display}), translation
