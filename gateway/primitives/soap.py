"""The message inside a SOAP 1.1 or 1.2 envelope: inbound XML may come bare or wrapped.

A header block marked ``mustUnderstand`` that is meant for us and that we do not know refuses the
message (SOAP 1.1 §4.2.3, SOAP 1.2 part 1 §5.2.3): a receiver that silently ignores it may act on a
message whose sender relied on that header (security, routing, a transaction) being honoured.
"""

from __future__ import annotations

from collections.abc import Collection

from lxml import etree

from gateway.primitives.errors import MalformedInput
from gateway.primitives.xmlsafe import local_name

__all__ = ["SOAP11_NS", "SOAP12_NS", "check_must_understand", "is_for_us", "message_root", "single_payload",
           "soap_parts"]

SOAP11_NS = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12_NS = "http://www.w3.org/2003/05/soap-envelope"
_SOAP_NAMESPACES = {SOAP11_NS, SOAP12_NS}
#: The actor/role values that address the ultimate receiver (or every node): a block for any other
#: actor is for another node on the path and is not ours to refuse (SOAP 1.1 §4.2.2, 1.2 §5.2.2).
_OURS = {None, "", "http://schemas.xmlsoap.org/soap/actor/next",
         "http://www.w3.org/2003/05/soap-envelope/role/next",
         "http://www.w3.org/2003/05/soap-envelope/role/ultimateReceiver"}


def _namespace(element: etree._Element) -> str:
    return etree.QName(element).namespace or ""


def soap_parts(envelope: etree._Element) -> tuple[list[etree._Element], list[etree._Element], list[etree._Element]]:
    """The envelope's Header elements, its Body elements and any other element children (comments left
    out), by the envelope's own namespace."""
    ns = _namespace(envelope)
    header, body = f"{{{ns}}}Header", f"{{{ns}}}Body"
    headers: list[etree._Element] = []
    bodies: list[etree._Element] = []
    others: list[etree._Element] = []
    for child in envelope:
        if not isinstance(child.tag, str):
            continue
        (headers if child.tag == header else bodies if child.tag == body else others).append(child)
    return headers, bodies, others


def single_payload(body: etree._Element) -> etree._Element:
    """The one message element of a SOAP Body (400 ``SOAP_BODY_NOT_ONE_MESSAGE`` otherwise)."""
    payload = [child for child in body if isinstance(child.tag, str)]
    if len(payload) != 1:
        raise MalformedInput("SOAP_BODY_NOT_ONE_MESSAGE", "the SOAP Body must hold exactly one message",
                             location="/Envelope/Body")
    return payload[0]


def is_for_us(block: etree._Element, ns: str) -> bool:
    """Whether a header block of an envelope in namespace ``ns`` is addressed to us (its actor/role)."""
    return block.get(f"{{{ns}}}actor" if ns == SOAP11_NS else f"{{{ns}}}role") in _OURS


def check_must_understand(envelope: etree._Element, understood: Collection[str] = ()) -> None:
    """Refuse (400 ``SOAP_HEADER_NOT_UNDERSTOOD``) a header block for us marked mustUnderstand whose
    ``{namespace}name`` is not in ``understood``."""
    ns = _namespace(envelope)
    for header in soap_parts(envelope)[0]:
        for block in header:
            if not isinstance(block.tag, str) or block.tag in understood:
                continue
            if not is_for_us(block, ns):
                continue
            if (block.get(f"{{{ns}}}mustUnderstand") or "").strip() in {"1", "true"}:
                raise MalformedInput("SOAP_HEADER_NOT_UNDERSTOOD",
                                     f"the SOAP header {block.tag} is marked mustUnderstand and this gateway "
                                     "does not understand it", location=f"/Envelope/Header/{local_name(block)}")


def message_root(root: etree._Element) -> etree._Element:
    """The message element itself: the root, or the one element in a SOAP Body."""
    if local_name(root) != "Envelope" or _namespace(root) not in _SOAP_NAMESPACES:
        return root
    # POST /bookings reads no SOAP header at all, so any mustUnderstand block for it is refused.
    check_must_understand(root)
    bodies = soap_parts(root)[1]
    if len(bodies) != 1:
        raise MalformedInput("SOAP_BODY_MISSING", "a SOAP envelope needs exactly one Body", location="/Envelope")
    return single_payload(bodies[0])
