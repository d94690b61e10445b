"""Elvis group visits (nordgate's own format, ``schemas/elvis-group-visit-1.0.xsd``) inbound adapter.

No public format exists for Elvis group bookings, attendance, visit registration and telephone
contacts, so the project defines one in the spirit of crm:scheduling: one namespace,
``urn:nordgate:elvis:groupvisit:1``; one message per root element; crm:scheduling's element names
(``healthcare_facility``, ``subject_of_care``, ``bookingId``, ``startTimeInclusive`` …) and value
rules for the same things; the XSD gives the shape and the contract rules live in code, with stable
error codes and locations.

Pure: bytes in, canonical :mod:`gateway.domain.groups` events out; no I/O, no clock. A message may
arrive bare or in a SOAP envelope (the crm:scheduling unwrapping is reused).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lxml import etree

from adapters.inbound.crm_scheduling import XML_MEDIA_TYPES
from adapters.inbound.elvis.sessions import attendance_report, cancellation, group_session_booking
from adapters.inbound.elvis.trace_sources import elvis_source
from adapters.inbound.elvis.visits import telephone_contact, visit_registration
from gateway.domain.groups import (
    AttendanceReported,
    GroupEvent,
    GroupSessionBooked,
    ParticipantCancelled,
    TelephoneContactReported,
    VisitRegistered,
)
from gateway.ports.inbound import InboundFormat
from gateway.primitives.errors import Unprocessable
from gateway.primitives.jsonsafe import looks_like_json
from gateway.primitives.soap import message_root
from gateway.primitives.xmlsafe import DEFAULT_MAX_BYTES, DEFAULT_MAX_DEPTH, local_name, parse_xml

__all__ = ["FORMAT", "INBOUND_FORMAT", "MESSAGE_READERS", "NAMESPACE", "is_elvis", "parse", "parse_element"]

FORMAT = "elvis-group-visit"
NAMESPACE = "urn:nordgate:elvis:groupvisit:1"
_NAMESPACE_BYTES = NAMESPACE.encode()
_EVENT_TYPES = (GroupSessionBooked, AttendanceReported, VisitRegistered, ParticipantCancelled,
                TelephoneContactReported)

Reader = Callable[[etree._Element, str, str], list[GroupEvent]]

MESSAGE_READERS: dict[str, Reader] = {
    "GroupSessionBooking": group_session_booking,
    "AttendanceReport": attendance_report,
    "VisitRegistration": visit_registration,
    "Cancellation": cancellation,
    "TelephoneContact": telephone_contact,
}


def is_elvis(message: etree._Element) -> bool:
    return etree.QName(message).namespace == NAMESPACE


def parse_element(root: etree._Element, *, source: str) -> list[GroupEvent]:
    message = message_root(root)
    name = local_name(message)
    path = f"/{name}"
    if not is_elvis(message):
        raise Unprocessable("FORMAT_UNKNOWN", f"<{name}> is not in the Elvis group-visit namespace {NAMESPACE}",
                            location=path)
    reader = MESSAGE_READERS.get(name)
    if reader is None:
        raise Unprocessable("MESSAGE_TYPE_UNSUPPORTED", f"Elvis group-visit {name} is not taken here; supported: "
                            + ", ".join(sorted(MESSAGE_READERS)), location=path)
    return reader(message, source, path)


def parse(data: bytes, *, source: str, max_bytes: int = DEFAULT_MAX_BYTES,
          max_depth: int = DEFAULT_MAX_DEPTH) -> list[GroupEvent]:
    return parse_element(parse_xml(data, max_bytes=max_bytes, max_depth=max_depth), source=source)


def units(event: Any) -> list[str]:
    """The HSA-id of the unit an Elvis event acts for (its tenant)."""
    return [event.unit.value]


INBOUND_FORMAT = InboundFormat(
    name=FORMAT,
    syntax="xml",
    description="Elvis group visit 1",
    recognises=is_elvis,
    parse=lambda message, source: parse_element(message, source=source),
    sniff=lambda body: _NAMESPACE_BYTES in body and not looks_like_json(body),
    event_types=_EVENT_TYPES,
    units=units,
    media_types=XML_MEDIA_TYPES,
    required_maps=("elvis-visit-type", "elvis-cancelled-by"),
    trace_sources={kind.__name__: elvis_source for kind in _EVENT_TYPES},
)
