"""The RIVTA SOAP 1.1 envelope: reading a request (headers, Body, mustUnderstand) and writing a Fault."""

from __future__ import annotations

import pytest
from lxml import etree

from adapters.inbound.crm_scheduling import envelope as soap11
from gateway.primitives.errors import MalformedInput
from gateway.primitives.soap import SOAP11_NS, SOAP12_NS

MB = "urn:riv:crm:scheduling:MakeBookingResponder:1"


def env(header: str = '<a:LogicalAddress xmlns:a="urn:riv:itintegration:registry:1"> SE1-X </a:LogicalAddress>',
        body: str = f'<m:MakeBooking xmlns:m="{MB}"/>', ns: str = SOAP11_NS) -> etree._Element:
    return etree.fromstring(f'<s:Envelope xmlns:s="{ns}"><s:Header>{header}</s:Header>'
                            f'<s:Body>{body}</s:Body></s:Envelope>'.encode())


def test_reads_logical_address_actor_and_body() -> None:
    header = ('<a:LogicalAddress xmlns:a="urn:riv:itintegration:registry:1">SE1-X</a:LogicalAddress>'
              '<h:Actor xmlns:h="urn:riv:interoperability:headers:1"><h:actorId>191212121212</h:actorId>'
              '<h:actorType>subject_of_care</h:actorType></h:Actor>'
              '<w:To xmlns:w="http://www.w3.org/2005/08/addressing">x</w:To>')
    request = soap11.read_request(env(header))
    assert request.logical_address == "SE1-X"
    assert request.actor == soap11.Actor("191212121212", "subject_of_care")
    assert request.body.tag == f"{{{MB}}}MakeBooking"


@pytest.mark.parametrize(("header", "faultcode", "code"), [
    ("", "Client", "LOGICAL_ADDRESS_MISSING"),
    ('<a:LogicalAddress xmlns:a="urn:riv:itintegration:registry:1"/>', "Client", "LOGICAL_ADDRESS_MISSING"),
    ('<a:LogicalAddress xmlns:a="urn:riv:itintegration:registry:1">A</a:LogicalAddress>' * 2, "Client",
     "LOGICAL_ADDRESS_REPEATED"),
    ('<a:LogicalAddress xmlns:a="urn:riv:itintegration:registry:1">A</a:LogicalAddress>'
     f'<x:Sec xmlns:x="urn:x" xmlns:s="{SOAP11_NS}" s:mustUnderstand="1"/>', "MustUnderstand",
     "SOAP_HEADER_NOT_UNDERSTOOD"),
])
def test_header_refusals(header: str, faultcode: str, code: str) -> None:
    with pytest.raises(MalformedInput) as raised:
        soap11.read_request(env(header))
    assert raised.value.code == code


def test_must_understand_for_another_actor_is_ignored() -> None:
    header = ('<a:LogicalAddress xmlns:a="urn:riv:itintegration:registry:1">A</a:LogicalAddress>'
              f'<x:Sec xmlns:x="urn:x" xmlns:s="{SOAP11_NS}" s:mustUnderstand="1" s:actor="urn:elsewhere"/>')
    assert soap11.read_request(env(header)).logical_address == "A"


@pytest.mark.parametrize(("root", "faultcode", "code"), [
    (env(ns=SOAP12_NS), "VersionMismatch", "SOAP_VERSION_UNSUPPORTED"),
    (etree.fromstring(f'<m:MakeBooking xmlns:m="{MB}"/>'.encode()), "Client", "SOAP_ENVELOPE_MISSING"),
    (env(body=""), "Client", "SOAP_BODY_NOT_ONE_MESSAGE"),
    (env(body=f'<m:A xmlns:m="{MB}"/><m:B xmlns:m="{MB}"/>'), "Client", "SOAP_BODY_NOT_ONE_MESSAGE"),
])
def test_envelope_refusals(root: etree._Element, faultcode: str, code: str) -> None:
    with pytest.raises(MalformedInput) as raised:
        soap11.read_request(root)
    assert raised.value.code == code


def test_fault_shape() -> None:
    doc = etree.fromstring(soap11.fault("Client", "XML_MALFORMED", "not well-formed"))
    fault = doc.find(f"{{{SOAP11_NS}}}Body/{{{SOAP11_NS}}}Fault")
    assert fault is not None
    assert fault.findtext("faultcode") == "soap:Client"
    assert fault.findtext("faultstring") == "XML_MALFORMED: not well-formed"
    assert fault.findtext("detail/{urn:nordgate:fault:1}code") == "XML_MALFORMED"
