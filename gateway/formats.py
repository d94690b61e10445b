"""Which inbound adapter a message belongs to, decided from its root element."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from adapters.inbound import crm_scheduling
from gateway.domain.booking import BookingEvent
from gateway.errors import Unprocessable
from gateway.xmlsafe import DEFAULT_MAX_BYTES, DEFAULT_MAX_DEPTH, local_name, parse_xml

__all__ = ["XmlLimits", "parse_booking_message", "parse_message"]


@dataclass(frozen=True, slots=True)
class XmlLimits:
    max_bytes: int = DEFAULT_MAX_BYTES
    max_depth: int = DEFAULT_MAX_DEPTH


def parse_booking_message(body: bytes, *, source: str, limits: XmlLimits | None = None) -> list[BookingEvent]:
    limits = limits or XmlLimits()
    root = parse_xml(body, max_bytes=limits.max_bytes, max_depth=limits.max_depth)
    message = crm_scheduling.message_root(root)
    if crm_scheduling.is_crm_scheduling(message):
        return crm_scheduling.parse_element(root, source=source)
    raise Unprocessable("FORMAT_UNKNOWN", f"no adapter takes a <{local_name(message)}> message; "
                        "supported: crm:scheduling 1.1", location=f"/{local_name(message)}")


def parse_message(body: bytes, *, source: str, limits: XmlLimits | None = None) -> list[Any]:
    """Canonical events of any inbound format, chosen from the message itself."""
    if body.lstrip()[:1] in (b"{", b"["):
        raise Unprocessable("FORMAT_UNKNOWN", "no adapter takes JSON messages yet")
    return parse_booking_message(body, source=source, limits=limits)
