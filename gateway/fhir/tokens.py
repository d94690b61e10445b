"""Search tokens of every kind of stored record: what ``identifier``, ``patient:identifier``, ``date``,
``actor:identifier``, ``schedule``, ``bill-card``… match (the kinds table, :mod:`gateway.fhir.kinds`, names
the function of each kind)."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Final

from gateway.domain.booking_records import AppointmentRecord, AppointmentResponseRecord
from gateway.domain.group_records import EncounterRecord, GroupSessionRecord
from gateway.domain.records import PersonRef
from gateway.domain.schedule_records import ScheduleRecord, SlotRecord
from gateway.fhir.canonical import naming_system
from gateway.fhir.group import visit_type
from gateway.fhir.mappings import MappingSet
from gateway.ports.store import Token
from gateway.primitives.identifiers import IdentifierKind

__all__ = ["ACT_CODE", "BILL_CARD_PARAMETER", "appointment_response_tokens", "appointment_tokens", "bill_card_tokens",
           "encounter_tokens", "group_session_tokens", "identifier_tokens", "instant_token", "schedule_tokens",
           "slot_tokens"]

#: Encounter.class's code system (gateway/fhir/encounter.py renders the same).
ACT_CODE: Final = "http://terminology.hl7.org/CodeSystem/v3-ActCode"

#: The search parameter of a group Appointment's bill cards: ``<status>|<FNR/DNR>`` (gateway/groups/bill_cards.py).
BILL_CARD_PARAMETER: Final = "bill-card"


@functools.lru_cache(maxsize=4096)  # many bookings share their start times
def instant_token(iso: str) -> str:
    # Search compares text; every date token is the UTC instant so that text order is time order.
    return dt.datetime.fromisoformat(iso).astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def identifier_tokens(name: str, system: str, value: str) -> list[Token]:
    return [(name, f"{system}|{value}"), (f"{name}.value", value)]


def appointment_tokens(record: AppointmentRecord, mappings: MappingSet) -> list[Token]:
    tokens: list[Token] = [("status", record.status), ("facility", record.facility)]
    tokens += identifier_tokens("identifier", mappings.identifier_system(IdentifierKind.BOOKING_ID),
                                 record.booking_id)
    if record.patient is not None:
        tokens += identifier_tokens("patient.identifier",
                                     mappings.identifier_system(record.patient.kind),
                                     record.patient.value)
    if record.start is not None:
        tokens.append(("date", instant_token(record.start)))
    return tokens


def appointment_response_tokens(record: AppointmentResponseRecord, mappings: MappingSet) -> list[Token]:
    tokens: list[Token] = [("appointment", record.appointment_id)]
    if record.facility is not None:  # the tenant (gateway/auth/tenancy.py); migration 0003 adds it to old ones
        tokens.append(("facility", record.facility))
    if record.actor is not None:
        tokens += identifier_tokens("patient.identifier",
                                     mappings.identifier_system(record.actor.kind),
                                     record.actor.value)
    return tokens


# Group sessions and encounters


def _person(name: str, person: PersonRef, mappings: MappingSet) -> list[Token]:
    return identifier_tokens(name, mappings.identifier_system(IdentifierKind(person.kind)), person.value)


def group_session_tokens(record: GroupSessionRecord, mappings: MappingSet) -> list[Token]:
    tokens: list[Token] = [("status", record.status), ("facility", record.unit.value), ("kind", "group")]
    tokens += identifier_tokens("identifier", naming_system("group-session-id"), record.session_id)
    for participant in record.participants:
        tokens += _person("patient.identifier", participant.patient, mappings)
    if record.start is not None:
        tokens.append(("date", instant_token(record.start)))
    return tokens + bill_card_tokens(record)


def encounter_tokens(record: EncounterRecord, mappings: MappingSet) -> list[Token]:
    tokens: list[Token] = [("status", record.status), ("facility", record.unit.value)]
    tokens += _person("patient.identifier", record.patient, mappings)
    if record.source_id:
        tokens += identifier_tokens("identifier", naming_system("visit-id"), record.source_id)
    if record.appointment_id:
        tokens.append(("appointment", record.appointment_id))
    if record.start is not None:
        tokens.append(("date", instant_token(record.start)))
    # class, type and service-provider: telephone contacts per unit and visit type (migration 0007
    # gives Encounters stored before them their tokens).
    tokens += identifier_tokens("class", ACT_CODE, record.contact_mode)
    tokens += _person("service-provider", record.unit, mappings)
    system = "elvis" if record.unit.kind == "hsa-id" else "no"  # as the renderer picks the visit-type map
    kind = visit_type(mappings, system, record.visit_type_code, record.visit_type_display)
    for coding in (kind or {}).get("coding", []):
        if coding.get("code"):
            tokens += identifier_tokens("type", coding.get("system", ""), coding["code"])
    return tokens


def bill_card_tokens(record: GroupSessionRecord) -> list[Token]:
    return [(BILL_CARD_PARAMETER, f"{p.bill_card.status}|{p.patient.value}")
            for p in record.participants if p.bill_card is not None]


# Schedules and slots


def _hsa(name: str, value: str, mappings: MappingSet) -> list[Token]:
    return identifier_tokens(name, mappings.identifier_system(IdentifierKind.HSA_ID), value)


def schedule_tokens(record: ScheduleRecord, mappings: MappingSet) -> list[Token]:
    # The unit is an actor of every schedule, so a unit's schedules are found by its HSA-id.
    tokens = _hsa("facility", record.facility, mappings) + _hsa("actor.identifier", record.facility, mappings)
    if record.performer is not None:
        tokens += _hsa("actor.identifier", record.performer.value, mappings)
    return tokens


def slot_tokens(record: SlotRecord, mappings: MappingSet) -> list[Token]:
    tokens: list[Token] = [("schedule", record.schedule_id), ("status", record.status),
                           ("start", instant_token(record.start))]
    tokens += _hsa("facility", record.facility, mappings)
    tokens += _hsa("schedule.actor.identifier", record.facility, mappings)
    if record.performer is not None:
        tokens += _hsa("schedule.actor.identifier", record.performer, mappings)
    return tokens
