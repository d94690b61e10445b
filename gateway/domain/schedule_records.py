"""Records of published free times: a Schedule per unit + performer/resource, a Slot per free time.

Version-neutral, rendered to R4 or R5 on read (:mod:`gateway.fhir.schedule`). Codes are kept as the
source system's local codes; the ConceptMaps translate them at render time, as for bookings.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar, Self

from gateway.domain.records import PersonRef

__all__ = ["LocalConcept", "PersonRef", "ScheduleRecord", "SlotRecord"]


@dataclass(frozen=True, slots=True)
class LocalConcept:
    """A local code of the PAS (timeTypeID, careTypeID) with its display name; either may be absent."""

    code: str | None
    display: str | None = None


@dataclass(frozen=True, slots=True)
class ScheduleRecord:
    """The free times of one care unit, optionally narrowed to one performer and/or resource.

    ``horizon_start``/``horizon_end`` is the union of the days the source has published free times
    for (from the first local day's midnight to the midnight after the last); it only grows, so a
    Schedule gets a new version when the published period widens, not on every answer.
    ``time_types``/``care_types`` are the types its free times have been offered as (sorted, only grow).
    """

    id: str
    facility: str
    facility_name: str | None = None
    performer: PersonRef | None = None
    resource_id: str | None = None
    resource_name: str | None = None
    horizon_start: str | None = None  # ISO 8601 with the Swedish offset
    horizon_end: str | None = None
    time_types: tuple[LocalConcept, ...] = ()
    care_types: tuple[LocalConcept, ...] = ()

    kind: ClassVar[str] = "schedule"
    resource_type: ClassVar[str] = "Schedule"

    def with_changes(self, **changes: Any) -> Self:
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True, slots=True)
class SlotRecord:
    """One published time: ``free`` while the source lists it, ``busy-unavailable`` once it does not."""

    id: str
    schedule_id: str
    facility: str
    start: str  # ISO 8601 with the Swedish offset
    end: str
    status: str = "free"
    performer: str | None = None  # HSA-id, for searching by the schedule's actor
    time_type: LocalConcept | None = None
    care_type: LocalConcept | None = None

    kind: ClassVar[str] = "slot"
    resource_type: ClassVar[str] = "Slot"

    def with_changes(self, **changes: Any) -> Self:
        return dataclasses.replace(self, **changes)
