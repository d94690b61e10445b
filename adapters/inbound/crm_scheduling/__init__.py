"""crm:scheduling 1.1 (RIVTA, Inera) inbound adapter: Pasis, Elvis and 1177 booking messages.

Pure: bytes in, canonical :class:`~gateway.domain.booking.BookingEvent` objects out; no I/O, no
clock. Messages arrive bare or inside a SOAP 1.1 (or 1.2) envelope, with any namespace prefixes.
"""

from __future__ import annotations

from lxml import etree

from adapters.inbound.crm_scheduling.messages import MESSAGE_READERS
from gateway.domain.booking import BookingEvent
from gateway.primitives.errors import MalformedInput, Unprocessable
from gateway.primitives.xmlsafe import DEFAULT_MAX_BYTES, DEFAULT_MAX_DEPTH, local_name, parse_xml

__all__ = ["FORMAT", "NAMESPACE_PREFIX", "is_crm_scheduling", "message_root", "parse", "parse_element"]

FORMAT = "crm-scheduling"
NAMESPACE_PREFIX = "urn:riv:crm:scheduling:"
_SOAP_NAMESPACES = {
    "http://schemas.xmlsoap.org/soap/envelope/",
    "http://www.w3.org/2003/05/soap-envelope",
}


def _namespace(element: etree._Element) -> str:
    return etree.QName(element).namespace or ""


def message_root(root: etree._Element) -> etree._Element:
    """The message element itself: the root, or the one element in a SOAP Body."""
    if local_name(root) != "Envelope" or _namespace(root) not in _SOAP_NAMESPACES:
        return root
    bodies = [child for child in root if local_name(child) == "Body" and _namespace(child) == _namespace(root)]
    if len(bodies) != 1:
        raise MalformedInput("SOAP_BODY_MISSING", "a SOAP envelope needs exactly one Body", location="/Envelope")
    payload = [child for child in bodies[0] if isinstance(child.tag, str)]
    if len(payload) != 1:
        raise MalformedInput("SOAP_BODY_NOT_ONE_MESSAGE", "the SOAP Body must hold exactly one message",
                             location="/Envelope/Body")
    return payload[0]


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
