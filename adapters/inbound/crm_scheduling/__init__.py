"""crm:scheduling 1.1 (RIVTA, Inera) inbound adapter: Pasis, Elvis and 1177 booking messages.

Pure: bytes in, canonical :class:`~gateway.domain.booking.BookingEvent` objects out; no I/O, no
clock. Messages arrive bare or inside a SOAP 1.1 (or 1.2) envelope, with any namespace prefixes.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from adapters.inbound.crm_scheduling.messages import MESSAGE_READERS
from adapters.inbound.crm_scheduling.trace_sources import booking_source, slots_source
from gateway.domain.availability import AvailableTimeslots
from gateway.domain.booking import BookingEvent
from gateway.ports.inbound import InboundFormat
from gateway.primitives.errors import Unprocessable
from gateway.primitives.jsonsafe import looks_like_json
from gateway.primitives.media_types import XML_MEDIA_TYPES
from gateway.primitives.soap import message_root
from gateway.primitives.xmlsafe import DEFAULT_MAX_BYTES, DEFAULT_MAX_DEPTH, local_name, parse_xml

__all__ = ["FORMAT", "INBOUND_FORMAT", "NAMESPACE_PREFIX", "XML_MEDIA_TYPES", "is_crm_scheduling", "parse",
           "parse_element"]

FORMAT = "crm-scheduling"
NAMESPACE_PREFIX = "urn:riv:crm:scheduling:"
_NAMESPACE_BYTES = NAMESPACE_PREFIX.encode()


def _namespace(element: etree._Element) -> str:
    return etree.QName(element).namespace or ""
def is_crm_scheduling(message: etree._Element) -> bool:
    return _namespace(message).startswith(NAMESPACE_PREFIX)


def parse_element(root: etree._Element, *, source: str) -> list[BookingEvent]:
    message = message_root(root)
    namespace = _namespace(message)
    name = local_name(message)
    path = f"/{name}"
    if not namespace.startswith(NAMESPACE_PREFIX) or not namespace.endswith("Responder:1"):
        raise Unprocessable(
            "FORMAT_UNKNOWN",
            f"{{{namespace}}}{name} is not a crm:scheduling 1.1 message", location=path,
        )
    contract = namespace[len(NAMESPACE_PREFIX):-len("Responder:1")]
    reader = MESSAGE_READERS.get((contract, name))
    if reader is None:
        raise Unprocessable(
            "MESSAGE_TYPE_UNSUPPORTED",
            f"crm:scheduling {name} is not taken here; supported: "
            + ", ".join(sorted(element for _, element in MESSAGE_READERS)),
            location=path,
        )
    return reader(message, source, path)


def parse(data: bytes, *, source: str, max_bytes: int = DEFAULT_MAX_BYTES,
          max_depth: int = DEFAULT_MAX_DEPTH) -> list[BookingEvent]:
    return parse_element(parse_xml(data, max_bytes=max_bytes, max_depth=max_depth), source=source)


def units(event: Any) -> list[str]:
    """The HSA-ids of the units a booking or an answer of free times acts for (its tenants)."""
    if isinstance(event, BookingEvent):
        place = event.cancellation or event.booking
        return [place.facility.value] if place is not None else []
    return sorted({slot.facility.value for slot in event.slots})


INBOUND_FORMAT = InboundFormat(
    name=FORMAT,
    syntax="xml",
    description="crm:scheduling 1.1",
    recognises=is_crm_scheduling,
    parse=lambda message, source: parse_element(message, source=source),
    sniff=lambda body: _NAMESPACE_BYTES in body and not looks_like_json(body),
    event_types=(BookingEvent, AvailableTimeslots),
    units=units,
    media_types=XML_MEDIA_TYPES,
    required_maps=("crm-time-type", "crm-time-type-contact-mode", "crm-care-type", "cancellation-origin"),
    trace_sources={"BookingEvent": booking_source, "AvailableTimeslots": slots_source},
)
