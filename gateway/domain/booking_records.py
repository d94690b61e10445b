"""Records of one-patient bookings (crm:scheduling): Appointment and the citizen's AppointmentResponse."""

from __future__ import annotations

import dataclasses
import functools
import uuid
from dataclasses import dataclass
from typing import Any, ClassVar, Self

from gateway.domain.records import RESOURCE_IDS, PersonRef

__all__ = ["AppointmentRecord", "AppointmentResponseRecord", "PersonRef", "appointment_id"]


@functools.lru_cache(maxsize=4096)  # the same booking is looked up and built in one message
def appointment_id(facility: str, booking_id: str) -> str:
    """The id of the Appointment of a crm:scheduling booking (unit HSA-id and ``bookingId``); an Elvis
    telephone contact's Appointment is the same booking, so it has the same id."""
    return str(uuid.uuid5(RESOURCE_IDS, f"crm-scheduling|{facility}|{booking_id}"))

@dataclass(frozen=True, slots=True)
class AppointmentRecord:
    id: str
    facility: str
    booking_id: str
    status: str
    facility_name: str | None = None
    start: str | None = None  # ISO 8601 with the Swedish offset
    end: str | None = None
    patient: PersonRef | None = None
    patient_status: str = "accepted"
    performer: PersonRef | None = None
    purpose: str | None = None
    reason: str | None = None
    resource_name: str | None = None
    resource_id: str | None = None
    time_type_code: str | None = None
    time_type_display: str | None = None
    care_type_code: str | None = None
    care_type_display: str | None = None
    cancel_booking_allowed: bool | None = None
    rebooking_allowed: bool | None = None
    message_allowed: bool | None = None
    notification: str | None = None
    origin: str = "pas"
    was_invitation: bool = False
    cancellation_source: str | None = None
    cancellation_message: str | None = None

    kind: ClassVar[str] = "appointment"
    resource_type: ClassVar[str] = "Appointment"

    def with_changes(self, **changes: Any) -> Self:
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True, slots=True)
class AppointmentResponseRecord:
    id: str
    appointment_id: str
    participant_status: str
    start: str | None
    end: str | None
    actor: PersonRef | None
    comment: str | None = None
    #: HSA-id of the unit of the answered appointment: the tenant (None in records stored before it).
    facility: str | None = None

    kind: ClassVar[str] = "appointment-response"
    resource_type: ClassVar[str] = "AppointmentResponse"
