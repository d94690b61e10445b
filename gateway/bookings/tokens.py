"""Search tokens of booking records: what ``identifier``, ``patient:identifier``, ``date``… match."""

from __future__ import annotations

import datetime as dt
import functools

from gateway.domain.booking_records import AppointmentRecord, AppointmentResponseRecord
from gateway.mappings import MappingSet
from gateway.ports.store import Token
from gateway.primitives.identifiers import IdentifierKind

__all__ = ["appointment_response_tokens", "appointment_tokens", "identifier_tokens", "instant_token"]


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
