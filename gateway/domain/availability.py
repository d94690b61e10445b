"""Canonical available times: what a GetAvailableTimeslotsResponse says is free to book.

One event per response, not per slot: the response as a whole is the source system's current truth
about its days, so a slot it no longer lists is no longer free (see :mod:`gateway.schedule.service`).
Times are timezone-aware; no FHIR and no XML here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from gateway.domain.booking import LocalCode
from gateway.primitives.identifiers import Identifier

__all__ = ["AvailableSlot", "AvailableTimeslots"]


@dataclass(frozen=True, slots=True)
class AvailableSlot:
    """One free time of one unit, optionally of one performer and/or resource (room, equipment)."""

    facility: Identifier
    start: dt.datetime
    end: dt.datetime
    facility_name: str | None = None
    performer: Identifier | None = None
    performer_name: str | None = None
    resource_id: str | None = None
    resource_name: str | None = None
    time_type: LocalCode | None = None
    care_type: LocalCode | None = None


@dataclass(frozen=True, slots=True)
class AvailableTimeslots:
    """A whole answer of free times, as told by ``source`` (``pas`` for Pasis/Elvis).

    ``location`` points into the source message (for error reports and traces).
    """

    source: str
    slots: tuple[AvailableSlot, ...]
    location: str = "/"

    @property
    def days(self) -> tuple[dt.date, dt.date] | None:
        """First and last local day the answer covers (by slot start), or None when it is empty."""
        if not self.slots:
            return None
        starts = [slot.start.date() for slot in self.slots]
        return min(starts), max(starts)
