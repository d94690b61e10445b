"""SOAP 1.1 for a RIVTA BP 2.1 producer: read a request envelope, write an answer or a Fault.

Reading (:func:`read_request`), on the tree of the hardened parser (no DTD, size and depth limits):

- the root must be ``{http://schemas.xmlsoap.org/soap/envelope/}Envelope``; a SOAP 1.2 envelope is
  ``SOAP_VERSION_UNSUPPORTED`` (RIVTA BP 2.1 is SOAP 1.1 only), anything else ``SOAP_ENVELOPE_MISSING``;
- at most one Header (``SOAP_HEADER_REPEATED``), exactly one Body and nothing else (``SOAP_BODY_MISSING``),
  the Body holds exactly one element (``SOAP_BODY_NOT_ONE_MESSAGE``): document/literal, one part;
- header blocks: ``itr:LogicalAddress`` and ``ih:Actor`` are understood; any other block for us marked
  ``mustUnderstand`` is ``SOAP_HEADER_NOT_UNDERSTOOD`` (:func:`gateway.primitives.soap.check_must_understand`);
  blocks for another ``soap:actor`` are ignored. ``wsa:To`` is not a logical address in BP 2.1;
- exactly one LogicalAddress (``LOGICAL_ADDRESS_MISSING`` / ``LOGICAL_ADDRESS_REPEATED``), trimmed.

Writing: :func:`envelope` (the answer, HTTP 200) and :func:`fault` (HTTP 500, WS-I BP 1.1 R1126), with
the stable nordgate code in ``detail/ng:code`` so that a client can match on it.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from gateway.primitives.errors import MalformedInput, Unprocessable
from gateway.primitives.soap import (
    SOAP11_NS,
    SOAP12_NS,
    check_must_understand,
    is_for_us,
    single_payload,
    soap_parts,
)

__all__ = ["ACTOR_NS", "FAULT_NS", "REGISTRY_NS", "Actor", "SoapRequest", "envelope", "fault", "read_request"]

REGISTRY_NS = "urn:riv:itintegration:registry:1"
ACTOR_NS = "urn:riv:interoperability:headers:1"
FAULT_NS = "urn:nordgate:fault:1"

_LOGICAL_ADDRESS = f"{{{REGISTRY_NS}}}LogicalAddress"
_ACTOR = f"{{{ACTOR_NS}}}Actor"
_ENVELOPE = f"{{{SOAP11_NS}}}Envelope"
_BODY = f"{{{SOAP11_NS}}}Body"


@dataclass(frozen=True, slots=True)
class Actor:
    actor_id: str
    actor_type: str  # subject_of_care | subject_of_care_agent


@dataclass(frozen=True, slots=True)
class SoapRequest:
    logical_address: str
    body: etree._Element  # the Body's one element, e.g. {…MakeBookingResponder:1}MakeBooking
    actor: Actor | None = None


def _text(element: etree._Element, where: str) -> str:
    if len(element):
        raise Unprocessable("ELEMENT_NOT_TEXT", f"{etree.QName(element).localname} holds elements, not text",
                             location=where)
    return (element.text or "").strip()


def _actor(block: etree._Element) -> Actor:
    values = {etree.QName(child).localname: _text(child, "/Envelope/Header/Actor")
              for child in block if isinstance(child.tag, str)}
    return Actor(values.get("actorId", ""), values.get("actorType", ""))


def read_request(root: etree._Element) -> SoapRequest:
    """The parts of a RIVTA request envelope."""
    if root.tag == f"{{{SOAP12_NS}}}Envelope":
        raise MalformedInput("SOAP_VERSION_UNSUPPORTED", "SOAP 1.2 is not taken: RIVTA BP 2.1 services are SOAP 1.1",
                             location="/Envelope")
    if root.tag != _ENVELOPE:
        raise MalformedInput("SOAP_ENVELOPE_MISSING", f"{root.tag} is not a SOAP 1.1 Envelope; send the request "
                             "inside one", location="/")
    headers, bodies, others = soap_parts(root)
    if len(headers) > 1:
        raise MalformedInput("SOAP_HEADER_REPEATED", "a SOAP envelope has at most one Header", location="/Envelope")
    if len(bodies) != 1 or others:
        raise MalformedInput("SOAP_BODY_MISSING", "a SOAP envelope needs exactly one Body and nothing else",
                             location="/Envelope")
    payload = single_payload(bodies[0])
    check_must_understand(root, (_LOGICAL_ADDRESS, _ACTOR))
    addresses: list[str] = []
    actor: Actor | None = None
    for block in headers[0] if headers else ():
        if not isinstance(block.tag, str) or not is_for_us(block, SOAP11_NS):
            continue  # a comment, or a block for another node on the path (SOAP 1.1 §4.2.2)
        if block.tag == _LOGICAL_ADDRESS:
            addresses.append(_text(block, "/Envelope/Header/LogicalAddress"))
        elif block.tag == _ACTOR:
            actor = _actor(block)
    if not addresses or not addresses[0]:
        raise MalformedInput("LOGICAL_ADDRESS_MISSING", f"RIVTA BP 2.1 needs the {_LOGICAL_ADDRESS} header: "
                             "the unit's HSA-id", location="/Envelope/Header")
    if len(addresses) > 1:
        raise MalformedInput("LOGICAL_ADDRESS_REPEATED", "the LogicalAddress header occurs more than once",
                             location="/Envelope/Header")
    return SoapRequest(addresses[0], payload, actor)


_NSMAP = {"soap": SOAP11_NS}


def envelope(payload: etree._Element) -> bytes:
    """An answer envelope around ``payload`` (RIVTA answers carry no header)."""
    env = etree.Element(_ENVELOPE, nsmap=_NSMAP)
    etree.SubElement(env, _BODY).append(payload)
    return bytes(etree.tostring(env, xml_declaration=True, encoding="UTF-8"))


def fault(faultcode: str, code: str, text: str) -> bytes:
    """A SOAP 1.1 Fault: ``soap:<faultcode>``, ``faultstring`` "<code>: <text>", ``detail/ng:code``."""
    env = etree.Element(_ENVELOPE, nsmap=_NSMAP)
    element = etree.SubElement(etree.SubElement(env, _BODY), f"{{{SOAP11_NS}}}Fault")
    # faultcode/faultstring/detail are unqualified (SOAP 1.1 §4.4); the faultcode value is a QName.
    etree.SubElement(element, "faultcode").text = f"soap:{faultcode}"
    etree.SubElement(element, "faultstring").text = f"{code}: {text}"
    detail = etree.SubElement(element, "detail")
    etree.SubElement(detail, f"{{{FAULT_NS}}}code", nsmap={"ng": FAULT_NS}).text = code
    return bytes(etree.tostring(env, xml_declaration=True, encoding="UTF-8"))
