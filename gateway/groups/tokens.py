"""Search tokens of group sessions and encounters."""

from __future__ import annotations

from gateway.bookings.tokens import identifier_tokens, instant_token
from gateway.domain.group_records import EncounterRecord, GroupSessionRecord
from gateway.domain.records import PersonRef
from gateway.fhir.canonical import naming_system
from gateway.groups.bill_cards import bill_card_tokens
from gateway.mappings import MappingSet
from gateway.ports.store import Token
from gateway.primitives.identifiers import IdentifierKind

__all__ = ["encounter_tokens", "group_session_tokens"]


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
    return tokens
