"""Builders of GetAvailableTimeslotsResponse test messages (samples/ holds the realistic ones)."""

from __future__ import annotations

from tests.adapters.inbound.crm_scheduling.messages import CORE, UNIT

__all__ = ["NAMESPACE", "PERFORMER", "available_response", "free_slot"]

NAMESPACE = "urn:riv:crm:scheduling:GetAvailableTimeslotsResponder:1"
PERFORMER = "SE2321000131-P000000000123"


def free_slot(start: str, end: str, *, performer: str | None = PERFORMER, unit: str = UNIT,
              time_type: str | None = "NYB", extra: str = "") -> str:
    parts = [f"<core:startTimeInclusive>{start}</core:startTimeInclusive>",
             f"<core:endTimeExclusive>{end}</core:endTimeExclusive>",
             f"<core:healthcare_facility>{unit}</core:healthcare_facility>"]
    if performer:
        parts.append(f"<core:performer>{performer}</core:performer>")
    parts.append(extra)
    if time_type:
        parts.append(f"<core:timeTypeName>Nybesök</core:timeTypeName><core:timeTypeID>{time_type}</core:timeTypeID>")
    return "".join(parts)


def available_response(*slots: str) -> bytes:
    details = "".join(f"<r:timeslotDetail>{slot}</r:timeslotDetail>" for slot in slots)
    return (f'<r:GetAvailableTimeslotsResponse xmlns:r="{NAMESPACE}" xmlns:core="{CORE}">{details}'
            "</r:GetAvailableTimeslotsResponse>").encode()
