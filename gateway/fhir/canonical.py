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
    "NO_BASIS_GROUP",
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
    "group-capacity": "number of places of a group session (valuePositiveInt)",
    "online-bookable": "whether patients may book a place in the group session online",
    "helfo-tariffs": "whether HELFO tariffs are used for the group session (Norway)",
    "extra-fee": "an extra fee of the group session (valueMoney, NOK)",
    "participant-attendance": "on a group Appointment's participant: attended, noshow or cancelled",
    "participant-booking": "on a group Appointment's participant: the patient's own booking (valueIdentifier) "
    "and whether it is a secondary booking (Elvis 'X', sub-extension secondary)",
    "participant-cancellation": "on a group Appointment's participant: who cancelled this patient's place "
    "(sub-extension by, appointment-cancellation-reason pat/prov) and the visit deviation noted (deviation)",
    "fee-rule": "a fee rule applied to a participant or visit, e.g. U2 'Uteblivet besök, ska betala' (valueCoding)",
    "patient-fee": "the patient fee code of a visit, e.g. P0 (0 kr) (valueCoding)",
    "payment-method": "the payment method of a visit, e.g. Gena (general exemption) (valueCoding)",
    "action-code": "the action code (åtgärdskod) of a registered visit (valueCoding)",
}

# Extensions defined by others that the gateway uses.
NO_BASIS_GROUP: Final = "https://hl7.no/fhir/structuredefinition/no-basis-appointment/no-basis-group"

CODE_SYSTEMS: Final = {
    "crm-scheduling-time-type": "timeTypeID of crm:scheduling (the PAS's local visit/time types)",
    "crm-scheduling-care-type": "careTypeID of crm:scheduling (the PAS's local care types)",
    "message-source": "which system sent a message: 1177, pas",
    "error-code": "nordgate's stable error codes, carried in OperationOutcome.issue.details",
    "visit-type": "visit/appointment types of a source system that has no ConceptMap for them",
    "visit-fee": "patient fee codes of the source systems (P0, …)",
    "payment-method": "payment methods of the source systems (Gena, …)",
    "action-code": "action codes (åtgärdskoder) of the source systems",
    "elvis-visit-type": "visit types (besökstyper) of Elvis: Nybesök, Återbesök, Tele, U2, …",
    "elvis-cancelled-by": "who cancelled a place in an Elvis group session: patient, guardian, unit",
    "fee-rule": "fee rules (U2: no-show, fee charged)",
    "no-appointment-type": "appointment types (timetyper) of the Norwegian clinic system, e.g. its group types",
}

NAMING_SYSTEMS: Final = {
    "crm-scheduling-booking-id": "bookingId of crm:scheduling, unique within its care unit (see assigner)",
    "crm-scheduling-resource-id": "crm:scheduling resourceID (rooms, equipment) of the sending PAS",
    "group-session-id": "id of a group session in its source system (Elvis or the Norwegian clinic system)",
    "group-id": "id of a group (e.g. 'ADHD Ung') in its source system",
    "participant-booking-id": "a patient's own booking id inside a group session",
    "visit-id": "id of a registered visit (encounter) in its source system",
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
