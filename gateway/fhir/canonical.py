"""The one canonical base of everything nordgate invents in FHIR, and every URL under it.

docs/fhir-extensions.md lists each with its meaning; a test keeps the two in step.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "BASE",
    "CODE_SYSTEMS",
    "EXTENSIONS",
    "NAMING_SYSTEMS",
    "code_system",
    "extension",
    "naming_system",
]

BASE: Final = "https://nordgate.dev/fhir"

EXTENSIONS: Final = {
    "cancel-booking-allowed": "crm:scheduling cancel_booking_allowed: the citizen may cancel this booking on 1177",
    "rebooking-allowed": "crm:scheduling rebooking_allowed: the citizen may reschedule this booking on 1177",
    "message-allowed": "crm:scheduling message_allowed: the citizen may send a message about this booking",
    "booking-origin": "who made the booking: 'pas' (the care unit's system), '1177' (the citizen), or "
    "'open-invitation' (the citizen answering an open invitation)",
    "open-invitation": "true when the appointment began as an open invitation (öppen kallelse)",
}

CODE_SYSTEMS: Final = {
    "crm-scheduling-time-type": "timeTypeID of crm:scheduling (the PAS's local visit/time types)",
    "crm-scheduling-care-type": "careTypeID of crm:scheduling (the PAS's local care types)",
    "message-source": "which system sent a message: 1177, pas",
    "error-code": "nordgate's stable error codes, carried in OperationOutcome.issue.details",
}

NAMING_SYSTEMS: Final = {
    "crm-scheduling-booking-id": "bookingId of crm:scheduling, unique within its care unit (see assigner)",
    "crm-scheduling-resource-id": "crm:scheduling resourceID (rooms, equipment) of the sending PAS",
    "reservnummer": "regional Swedish reserve numbers (letter in the 9th position); local, not national",
}


def extension(name: str) -> str:
    if name not in EXTENSIONS:
        raise KeyError(f"extension {name!r} is not declared in gateway.fhir.canonical")
    return f"{BASE}/StructureDefinition/{name}"


def code_system(name: str) -> str:
    if name not in CODE_SYSTEMS:
        raise KeyError(f"code system {name!r} is not declared in gateway.fhir.canonical")
    return f"{BASE}/CodeSystem/{name}"


def naming_system(name: str) -> str:
    if name not in NAMING_SYSTEMS:
        raise KeyError(f"naming system {name!r} is not declared in gateway.fhir.canonical")
    return f"{BASE}/NamingSystem/{name}"
