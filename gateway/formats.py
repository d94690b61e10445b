"""Which inbound adapter a message belongs to, decided from its root element (XML) or its keys (JSON)."""

from __future__ import annotations

from typing import Any

from adapters.inbound import crm_scheduling, elvis, no_group
from gateway.primitives.errors import Unprocessable
from gateway.primitives.jsonsafe import decode_json
from gateway.primitives.xmlsafe import XmlLimits, local_name, parse_xml

__all__ = ["parse_json_message", "parse_message", "parse_xml_message"]


def parse_xml_message(body: bytes, *, source: str, limits: XmlLimits | None = None) -> list[Any]:
    """XML messages: crm:scheduling (bookings, available times) or Elvis group visits."""
    limits = limits or XmlLimits()
    root = parse_xml(body, max_bytes=limits.max_bytes, max_depth=limits.max_depth)
    message = crm_scheduling.message_root(root)
    if crm_scheduling.is_crm_scheduling(message):
        return crm_scheduling.parse_element(root, source=source)
    if elvis.is_elvis(message):
        return list(elvis.parse_element(message, source=source))
    raise Unprocessable("FORMAT_UNKNOWN", f"no adapter takes a <{local_name(message)}> message; "
                        "supported: crm:scheduling 1.1, Elvis group visit 1", location=f"/{local_name(message)}")


def parse_message(body: bytes, *, source: str, limits: XmlLimits | None = None) -> list[Any]:
    """Canonical events of any inbound format, chosen from the message itself."""
    if body.removeprefix(b"\xef\xbb\xbf").lstrip()[:1] in (b"{", b"["):
        return parse_json_message(body, source=source, limits=limits)
    return parse_xml_message(body, source=source, limits=limits)


def parse_json_message(body: bytes, *, source: str, limits: XmlLimits | None = None) -> list[Any]:
    """JSON messages: decoded once behind :mod:`gateway.primitives.jsonsafe`'s walls (the same byte limit as
    XML), then the adapter the document claims to be judges it."""
    limits = limits or XmlLimits()
    document = decode_json(body, max_bytes=limits.max_bytes, prefix="EVENT", what="message")
    if no_group.is_group_event(document):
        return list(no_group.parse_document(document, source=source))
    raise Unprocessable("FORMAT_UNKNOWN", "no adapter takes this JSON message; supported: Norwegian "
                        "group-appointment events (one object with \"event\" and \"groupAppointmentId\")",
                        location="/")
