"""Canonical booking events: what every inbound booking format is turned into.

Adapters produce these from bytes; the FHIR builders and the booking service consume them. They hold
no FHIR and no XML, and times are timezone-aware.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from gateway.primitives.identifiers import Identifier

__all__ = ["Booking", "BookingAction", "BookingEvent", "Cancellation", "LocalCode", "PersonName"]


class BookingAction(StrEnum):
    MAKE = "MakeBooking"
    UPDATE = "UpdateBooking"
    CANCEL = "CancelBooking"
    # A timeslot read back from GetBookingDetails/GetSubjectOfCareSchedule: the source system's
    # current truth about one booking, used to sync state.
    SNAPSHOT = "Snapshot"


@dataclass(frozen=True, slots=True)
class LocalCode:
    """A code of the source system (timeTypeID, careTypeID, …) with its display name."""

    code: str
    display: str | None = None


@dataclass(frozen=True, slots=True)
class PersonName:
    given: tuple[str, ...]
    family: str | None

    @property
    def text(self) -> str:
        return " ".join([*self.given, *([self.family] if self.family else [])])


@dataclass(frozen=True, slots=True)
class Booking:
    """One timeslot as crm:scheduling describes it (TimeslotType)."""

    facility: Identifier
    booking_id: str | None = None
    facility_name: str | None = None
    performer: Identifier | None = None
    performer_name: str | None = None
    patient: Identifier | None = None
    patient_name: PersonName | None = None
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    purpose: str | None = None
    reason: str | None = None
    resource_name: str | None = None
    resource_id: str | None = None
    time_type: LocalCode | None = None
    care_type: LocalCode | None = None
    cancel_booking_allowed: bool | None = None
    rebooking_allowed: bool | None = None
    message_allowed: bool | None = None
    is_invitation: bool = False
    notification: str | None = None


@dataclass(frozen=True, slots=True)
class Cancellation:
    facility: Identifier
    booking_id: str
    message: str | None = None


@dataclass(frozen=True, slots=True)
class BookingEvent:
    """One thing that happened to one booking, as told by one source system.

    ``source`` names who sent it (``1177`` for the citizen's own actions, ``pas`` for Pasis/Elvis);
    it decides e.g. whether a cancellation is the patient's or the provider's (a ConceptMap).
    ``location`` points into the source message (for error reports and traces).
    """

    action: BookingAction
    source: str
    booking: Booking | None = None
    cancellation: Cancellation | None = None
    location: str = "/"

    @property
    def key(self) -> tuple[str, str]:
        """(HSA-id of the unit, bookingId): what identifies a booking across messages."""
        if self.cancellation is not None:
            return self.cancellation.facility.value, self.cancellation.booking_id
        assert self.booking is not None and self.booking.booking_id is not None
        return self.booking.facility.value, self.booking.booking_id
