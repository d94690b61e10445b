"""SOAP envelopes of the NHN address register (AR) ``CommunicationParty`` service, both directions.

The shape follows the public WSDL of ``http://register.nhn.no/CommunicationParty`` (as shipped in
Helsenorge.Messaging) and recorded answers of the test service:

- request: ``<cp:GetCommunicationPartyDetails><cp:herId>79768</cp:herId></…>`` in the AR namespace;
  ``SOAPAction: http://register.nhn.no/CommunicationParty/ICommunicationPartyService/<Operation>``;
- answer: ``<…Response><…Result>`` with the party's fields as AR-namespace children, while the
  address lists hold ``ElectronicAddress`` / ``PhysicalAddress`` elements of
  ``http://register.nhn.no/Common``; a party without a parent says ``ParentHerId`` ``-1``;
- certificate answers carry ``CertificateDetails`` children ``Certificate`` (base64 DER) and
  ``LdapUrl`` in ``http://register.nhn.no/CertificateDetails``;
- an unknown HER-id is a *sender* fault whose detail is ``Common:GenericFault`` with
  ``ErrorCode`` ``InvalidHerIdSupplied``.

Assumptions, because the real service is reached over a WS-* binding we do not reproduce: requests
are plain SOAP 1.1 (``text/xml``); answers are read in SOAP 1.1 *or* 1.2, since the recorded answers
are 1.2. Every XML read here, requests included, goes through :func:`gateway.primitives.xmlsafe.parse_xml`.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from lxml import etree

from gateway.domain.parties import CommunicationParty, ElectronicAddress, PartyType, PhysicalAddress
from gateway.primitives.errors import MalformedInput
from gateway.primitives.xmlsafe import local_name, parse_xml

__all__ = [
    "NO_SUCH_HER_ID_ERROR_CODE",
    "NS_AR",
    "NS_CERT",
    "NS_COMMON",
    "SOAP11_CONTENT_TYPE",
    "Operation",
    "SoapFault",
    "SoapRequest",
    "build_certificate_response",
    "build_details_response",
    "build_fault",
    "build_ping_response",
    "build_request",
    "certificate_from_result",
    "operation_from_action",
    "parse_request",
    "parse_response",
    "party_from_result",
    "soap_action",
]

NS_AR: Final = "http://register.nhn.no/CommunicationParty"
NS_COMMON: Final = "http://register.nhn.no/Common"
NS_CERT: Final = "http://register.nhn.no/CertificateDetails"
NS_SOAP11: Final = "http://schemas.xmlsoap.org/soap/envelope/"
NS_SOAP12: Final = "http://www.w3.org/2003/05/soap-envelope"
NS_XSI: Final = "http://www.w3.org/2001/XMLSchema-instance"
SOAP11_CONTENT_TYPE: Final = "text/xml; charset=utf-8"
NO_SUCH_HER_ID_ERROR_CODE: Final = "InvalidHerIdSupplied"
_ACTION_PREFIX: Final = f"{NS_AR}/ICommunicationPartyService/"
# AR answers are a few kB; a register answering megabytes is broken, not busy.
_MAX_RESPONSE_BYTES: Final = 1024 * 1024
_MAX_TEXT: Final = 300


class Operation(StrEnum):
    COMMUNICATION_PARTY_DETAILS = "GetCommunicationPartyDetails"
    ENCRYPTION_CERTIFICATE = "GetCertificateDetailsForEncryption"
    SIGNATURE_CERTIFICATE = "GetCertificateDetailsForValidatingSignature"
    PING = "Ping"


def soap_action(operation: Operation) -> str:
    return _ACTION_PREFIX + operation.value


def operation_from_action(action: str) -> Operation | None:
    text = action.strip().strip('"')
    if not text.startswith(_ACTION_PREFIX):
        return None
    try:
        return Operation(text[len(_ACTION_PREFIX):])
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class SoapRequest:
    operation: Operation
    her_id: int | None


@dataclass(frozen=True, slots=True)
class SoapFault:
    """A SOAP fault as data: the client decides what it means, nothing is raised here."""

    sender: bool  # SOAP 1.1 "Client" / 1.2 "Sender": retrying the same request will not help
    reason: str
    error_code: str | None = None  # Common:GenericFault/ErrorCode when the register gives one

    @property
    def no_such_her_id(self) -> bool:
        return self.error_code == NO_SUCH_HER_ID_ERROR_CODE


# ---------------------------------------------------------------- requests (client → register)

def build_request(operation: Operation, her_id: int | None = None) -> bytes:
    envelope = etree.Element(f"{{{NS_SOAP11}}}Envelope", nsmap={"soap": NS_SOAP11, "cp": NS_AR})
    body = etree.SubElement(envelope, f"{{{NS_SOAP11}}}Body")
    call = etree.SubElement(body, f"{{{NS_AR}}}{operation.value}")
    if operation is not Operation.PING:
        if her_id is None:
            raise ValueError(f"{operation.value} needs a HER-id")
        etree.SubElement(call, f"{{{NS_AR}}}herId").text = str(her_id)
    return etree.tostring(envelope, xml_declaration=True, encoding="utf-8")


def parse_request(body: bytes, action_header: str | None) -> SoapRequest:
    """Read a request as the register would; refusals are MalformedInput with distinct codes."""
    root = parse_xml(body, max_bytes=64 * 1024)
    call = _body_child(root)
    names = {op.value: op for op in Operation}
    operation = names.get(local_name(call)) if etree.QName(call).namespace == NS_AR else None
    if operation is None:
        raise MalformedInput("AR_UNKNOWN_OPERATION", f"no such operation: {_short(str(call.tag))}")
    if action_header and operation_from_action(action_header) is not operation:
        raise MalformedInput("AR_SOAPACTION_MISMATCH", "SOAPAction does not name the operation in the body")
    if operation is Operation.PING:
        return SoapRequest(operation, None)
    text = _text(call.find(f"{{{NS_AR}}}herId"))
    if text is None or not text.isdigit() or len(text) > 9:
        raise MalformedInput("AR_HER_ID_MISSING", "herId is missing or not a number")
    return SoapRequest(operation, int(text))


# ------------------------------------------------------------- responses (register → client)

def parse_response(body: bytes, operation: Operation) -> etree._Element | SoapFault:
    """The ``<Operation>Response`` element, or the fault the register sent instead.

    Unreadable, hostile or wrongly shaped bodies raise MalformedInput (codes from
    :mod:`gateway.primitives.xmlsafe`, ``AR_NOT_SOAP`` or ``AR_RESPONSE_SHAPE``); the client wraps them.
    """
    root = parse_xml(body, max_bytes=_MAX_RESPONSE_BYTES)
    first = _body_child(root)
    namespace = etree.QName(root).namespace
    if local_name(first) == "Fault" and etree.QName(first).namespace == namespace:
        return _fault(first, namespace)
    expected = f"{{{NS_AR}}}{operation.value}Response"
    if first.tag != expected:
        raise MalformedInput("AR_RESPONSE_SHAPE", f"expected {operation.value}Response in the SOAP body")
    return first


def party_from_result(response: etree._Element) -> CommunicationParty:
    result = _result(response, Operation.COMMUNICATION_PARTY_DETAILS)
    if result is None:
        raise MalformedInput("AR_RESPONSE_SHAPE", "GetCommunicationPartyDetailsResult is empty")
    her_id = _text(result.find(f"{{{NS_AR}}}HerId"))
    name = _text(result.find(f"{{{NS_AR}}}Name"))
    active = _text(result.find(f"{{{NS_AR}}}Active"))
    type_text = _text(result.find(f"{{{NS_AR}}}Type")) or _xsi_type(result)
    if not her_id or not her_id.isdigit() or name is None or active not in ("true", "false", "1", "0"):
        raise MalformedInput("AR_RESPONSE_SHAPE", "HerId, Name or Active missing from the party")
    try:
        party_type = PartyType(type_text or "")
    except ValueError:
        raise MalformedInput("AR_RESPONSE_SHAPE", f"unknown party type {_short(type_text or '')!r}") from None
    return CommunicationParty(
        her_id=her_id,
        name=name,
        type=party_type,
        active=active in ("true", "1"),
        organization_number=_absent_if_minus_one(_text(result.find(f"{{{NS_AR}}}OrganizationNumber"))),
        parent_her_id=_absent_if_minus_one(_text(result.find(f"{{{NS_AR}}}ParentHerId"))),
        parent_name=_text(result.find(f"{{{NS_AR}}}ParentName")),
        parent_organization_number=_absent_if_minus_one(
            _text(result.find(f"{{{NS_AR}}}ParentOrganizationNumber"))
        ),
        electronic_addresses=tuple(
            ElectronicAddress(
                type_code=_text(item.find(f"{{{NS_COMMON}}}TypeCodeValue")) or "",
                address=_text(item.find(f"{{{NS_COMMON}}}Address")) or "",
            )
            for item in result.iterfind(f"{{{NS_AR}}}ElectronicAddresses/{{{NS_COMMON}}}ElectronicAddress")
        ),
        physical_addresses=tuple(
            PhysicalAddress(
                street=_text(item.find(f"{{{NS_COMMON}}}StreetAddress"))
                or _text(item.find(f"{{{NS_COMMON}}}Postbox")),
                postal_code=_postal_code(_text(item.find(f"{{{NS_COMMON}}}PostalCode"))),
                city=_text(item.find(f"{{{NS_COMMON}}}City")),
            )
            for item in result.iterfind(f"{{{NS_AR}}}PhysicalAddresses/{{{NS_COMMON}}}PhysicalAddress")
        ),
    )


def certificate_from_result(response: etree._Element, operation: Operation) -> bytes | None:
    """The DER bytes, or None when the register has no certificate of that kind for the party."""
    result = _result(response, operation)
    if result is None:
        return None
    text = _text(result.find(f"{{{NS_CERT}}}Certificate"))
    if text is None:
        return None
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        raise MalformedInput("AR_CERTIFICATE_NOT_BASE64", "Certificate is not base64") from None


# ------------------------------------------------------------------ building answers (stub)

def build_details_response(party: CommunicationParty) -> bytes:
    response, result = _response_skeleton(Operation.COMMUNICATION_PARTY_DETAILS)
    result.set(f"{{{NS_XSI}}}type", party.type.value)
    _add(result, "Active", "true" if party.active else "false")
    addresses = etree.SubElement(result, f"{{{NS_AR}}}ElectronicAddresses")
    for electronic in party.electronic_addresses:
        item = etree.SubElement(addresses, f"{{{NS_COMMON}}}ElectronicAddress")
        _add(item, "Address", electronic.address, NS_COMMON)
        _add(item, "TypeCodeValue", electronic.type_code, NS_COMMON)
    _add(result, "HerId", party.her_id)
    _add(result, "Name", party.name)
    _add(result, "ParentHerId", party.parent_her_id or "-1")
    _add(result, "ParentName", party.parent_name)
    _add(result, "ParentOrganizationNumber", party.parent_organization_number or "-1")
    physical_list = etree.SubElement(result, f"{{{NS_AR}}}PhysicalAddresses")
    for physical in party.physical_addresses:
        item = etree.SubElement(physical_list, f"{{{NS_COMMON}}}PhysicalAddress")
        _add(item, "City", physical.city, NS_COMMON)
        _add(item, "PostalCode", physical.postal_code, NS_COMMON)
        _add(item, "StreetAddress", physical.street, NS_COMMON)
    _add(result, "Type", party.type.value)
    if party.type is not PartyType.PERSON:
        _add(result, "OrganizationNumber", party.organization_number)
    return _serialise(response)


def build_certificate_response(operation: Operation, der: bytes | None) -> bytes:
    response, result = _response_skeleton(operation)
    if der is None:
        result.set(f"{{{NS_XSI}}}nil", "true")
    else:
        _add(result, "Certificate", base64.b64encode(der).decode("ascii"), NS_CERT)
        _add(result, "LdapUrl", None, NS_CERT)
    return _serialise(response)


def build_ping_response() -> bytes:
    envelope, body = _envelope()
    etree.SubElement(body, f"{{{NS_AR}}}PingResponse")
    return etree.tostring(envelope, xml_declaration=True, encoding="utf-8")


def build_fault(*, sender: bool, reason: str, error_code: str | None = None) -> bytes:
    """A SOAP 1.1 fault with the register's ``GenericFault`` detail when ``error_code`` is given."""
    envelope, body = _envelope()
    fault = etree.SubElement(body, f"{{{NS_SOAP11}}}Fault")
    etree.SubElement(fault, "faultcode").text = "soap:Client" if sender else "soap:Server"
    faultstring = etree.SubElement(fault, "faultstring")
    faultstring.text = reason
    faultstring.set("{http://www.w3.org/XML/1998/namespace}lang", "nb-NO")
    if error_code is not None:
        detail = etree.SubElement(fault, "detail")
        generic = etree.SubElement(detail, f"{{{NS_COMMON}}}GenericFault", nsmap={"c": NS_COMMON})
        etree.SubElement(generic, f"{{{NS_COMMON}}}ErrorCode").text = error_code
        etree.SubElement(generic, f"{{{NS_COMMON}}}Message").text = reason
    return etree.tostring(envelope, xml_declaration=True, encoding="utf-8")


# ------------------------------------------------------------------------------- helpers

def _envelope() -> tuple[etree._Element, etree._Element]:
    envelope = etree.Element(f"{{{NS_SOAP11}}}Envelope", nsmap={"soap": NS_SOAP11})
    return envelope, etree.SubElement(envelope, f"{{{NS_SOAP11}}}Body")


def _response_skeleton(operation: Operation) -> tuple[etree._Element, etree._Element]:
    envelope, body = _envelope()
    response = etree.SubElement(
        body, f"{{{NS_AR}}}{operation.value}Response", nsmap={"cp": NS_AR, "b": NS_COMMON, "i": NS_XSI}
    )
    result = etree.SubElement(response, f"{{{NS_AR}}}{operation.value}Result")
    return envelope, result


def _serialise(element: etree._Element) -> bytes:
    return etree.tostring(element.getroottree(), xml_declaration=True, encoding="utf-8")


def _add(parent: etree._Element, name: str, text: str | None, namespace: str = NS_AR) -> None:
    child = etree.SubElement(parent, f"{{{namespace}}}{name}")
    if text is None:
        child.set(f"{{{NS_XSI}}}nil", "true")
    else:
        child.text = text


def _body_child(root: etree._Element) -> etree._Element:
    namespace = etree.QName(root).namespace
    if namespace not in (NS_SOAP11, NS_SOAP12) or local_name(root) != "Envelope":
        raise MalformedInput("AR_NOT_SOAP", "not a SOAP envelope")
    body = root.find(f"{{{namespace}}}Body")
    children = [] if body is None else [child for child in body if isinstance(child.tag, str)]
    if not children:
        raise MalformedInput("AR_NOT_SOAP", "the SOAP body is empty")
    return children[0]


def _result(response: etree._Element, operation: Operation) -> etree._Element | None:
    result = response.find(f"{{{NS_AR}}}{operation.value}Result")
    if result is None or result.get(f"{{{NS_XSI}}}nil") == "true":
        return None
    return result


def _fault(fault: etree._Element, namespace: str | None) -> SoapFault:
    if namespace == NS_SOAP12:
        code = _text(fault.find(f"{{{NS_SOAP12}}}Code/{{{NS_SOAP12}}}Value")) or ""
        reason = _text(fault.find(f"{{{NS_SOAP12}}}Reason/{{{NS_SOAP12}}}Text")) or ""
        detail = fault.find(f"{{{NS_SOAP12}}}Detail")
        sender = code.rsplit(":", 1)[-1] == "Sender"
    else:
        code = _text(fault.find("faultcode")) or ""
        reason = _text(fault.find("faultstring")) or ""
        detail = fault.find("detail")
        sender = code.rsplit(":", 1)[-1].split(".", 1)[0] == "Client"
    error_code = None
    if detail is not None:
        error_code = _text(detail.find(f"{{{NS_COMMON}}}GenericFault/{{{NS_COMMON}}}ErrorCode"))
    return SoapFault(sender=sender, reason=_short(reason), error_code=error_code)


def _text(element: etree._Element | None) -> str | None:
    if element is None or element.get(f"{{{NS_XSI}}}nil") == "true":
        return None
    text = (element.text or "").strip()
    return text or None


def _xsi_type(element: etree._Element) -> str | None:
    value = element.get(f"{{{NS_XSI}}}type")
    return value.rsplit(":", 1)[-1] if value else None


def _absent_if_minus_one(value: str | None) -> str | None:
    return None if value in (None, "-1", "0") else value


def _postal_code(value: str | None) -> str | None:
    # The register types postal codes as integers, so Oslo's "0161" arrives as "161".
    if value is not None and value.isdigit() and len(value) < 4:
        return value.zfill(4)
    return value


def _short(text: str) -> str:
    return text if len(text) <= _MAX_TEXT else text[: _MAX_TEXT - 1] + "…"
