"""The message inside a SOAP 1.1 or 1.2 envelope: inbound XML may come bare or wrapped."""

from __future__ import annotations

from lxml import etree

from gateway.primitives.errors import MalformedInput
from gateway.primitives.xmlsafe import local_name

__all__ = ["message_root"]

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
