"""Where each record field came from in a crm:scheduling message, relative to the event's ``location``
(e.g. ``time_type_code`` → ``timeTypeID`` under ``/MakeBooking/requestedTimeslot``): this format's
trace table (``INBOUND_FORMAT.trace_sources``)."""

from __future__ import annotations

from typing import Any

from gateway.ports.inbound import HEADER, STORED, field_head

__all__ = ["booking_source", "slots_source"]

# crm:scheduling TimeslotType: record field → (element, attribute of the event's Booking).
_CRM = {"facility": ("healthcare_facility", "facility"), "booking_id": ("bookingId", "booking_id"),
        "patient": ("subject_of_care", "patient"), "actor": ("subject_of_care", "patient"),
        "performer": ("performer", "performer"), "resource_id": ("resourceID", "resource_id"),
        "time_type_code": ("timeTypeID", "time_type"), "care_type_code": ("careTypeID", "care_type")}
_CRM_RULED = {"status", "patient_status", "participant_status"}
_SLOT = {"facility": "healthcare_facility", "performer": "performer", "resource_id": "resourceID",
         "care_type": "careTypeID", "care_types": "careTypeID", "time_type": "timeTypeID", "time_types": "timeTypeID"}


def booking_source(event: Any, field: str, record: Any) -> str | None:
    location: str = event.location
    if field in {"origin", "cancellation_source"}:
        return HEADER
    if field in _CRM_RULED:
        return location
    element, attribute = _CRM.get(field, (None, None))
    if element is None or attribute is None:
        return None
    if event.booking is None:  # CancelBooking names the booking, the rest is stored
        return f"{location}/{element}" if field in {"facility", "booking_id"} else STORED
    return f"{location}/{element}" if getattr(event.booking, attribute) is not None else STORED


def slots_source(event: Any, field: str, record: Any) -> str | None:
    name, _, _ = field_head(field)
    detail = f"{event.location}/timeslotDetail"
    if record.resource_type == "Slot":
        for number, slot in enumerate(event.slots, start=1):
            if slot.start.isoformat() == record.start and slot.facility.value == record.facility:
                detail = f"{detail}[{number}]"
                break
        else:
            return STORED  # a time this answer no longer lists: what it has is what an earlier one said
    if field == "status":
        return detail
    element = _SLOT.get(name)
    return f"{detail}/{element}" if element else None
