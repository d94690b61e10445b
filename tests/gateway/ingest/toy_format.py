"""A toy inbound format, as a new adapter package would be: one JSON object per booking,

    {"toyBooking": {"unit": "<HSA-id>", "bookingId": "…", "start": "…", "end": "…", "patient": "<personnummer>"}}

made into the canonical MakeBooking event the crm:scheduling adapter makes, so the booking rules,
records, FHIR and tenancy apply to it unchanged. Its registry entry is :data:`TOY_FORMAT`; nothing
else in the gateway knows it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from gateway.domain.booking import Booking, BookingAction, BookingEvent
from gateway.ports.inbound import InboundFormat
from gateway.primitives.errors import Unprocessable
from gateway.primitives.identifiers import Identifier, IdentifierKind, classify_swedish_person

__all__ = ["MEDIA_TYPE", "TOY_FORMAT", "toy_message"]

MEDIA_TYPE = "application/vnd.nordgate-toy+json"
_KEY = "toyBooking"
_FIELDS = {"unit": "healthcare_facility", "bookingId": "bookingId", "start": "startTimeInclusive",
           "end": "endTimeExclusive", "patient": "subject_of_care"}


def toy_message(booking_id: str = "TOY-1", *, unit: str = "SE2321000131-E000000000001") -> dict[str, Any]:
    return {_KEY: {"unit": unit, "bookingId": booking_id, "start": "2026-03-02T09:00:00+01:00",
                   "end": "2026-03-02T09:30:00+01:00", "patient": "191212121212"}}


def _recognises(document: Any) -> bool:
    return isinstance(document, dict) and _KEY in document


def _parse(document: Any, source: str) -> list[Any]:
    body = document[_KEY]
    if not isinstance(body, dict) or any(not isinstance(body.get(name), str) for name in _FIELDS):
        raise Unprocessable("ELEMENT_MISSING", "a toy booking names unit, bookingId, start, end and patient",
                            location=f"/{_KEY}")
    booking = Booking(facility=Identifier(IdentifierKind.HSA_ID, body["unit"]), booking_id=body["bookingId"],
                      patient=classify_swedish_person(body["patient"], location=f"/{_KEY}/patient"),
                      start=dt.datetime.fromisoformat(body["start"]), end=dt.datetime.fromisoformat(body["end"]))
    return [BookingEvent(BookingAction.MAKE, source, booking=booking, location=f"/{_KEY}")]


def _source(event: Any, field: str, record: Any) -> str | None:
    element = {"facility": "unit", "booking_id": "bookingId", "patient": "patient"}.get(field)
    return f"{event.location}/{element}" if element is not None else None


TOY_FORMAT = InboundFormat(
    name="toy-booking",
    syntax="json",
    description='toy bookings (one object with "toyBooking")',
    recognises=_recognises,
    parse=_parse,
    sniff=lambda body: _KEY.encode() in body,
    event_types=(BookingEvent,),
    units=lambda event: [event.booking.facility.value],
    media_types=(MEDIA_TYPE,),
    trace_sources={"BookingEvent": _source},
)
