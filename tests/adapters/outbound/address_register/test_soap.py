"""Envelopes both ways, including answers shaped like the real (SOAP 1.2) register's."""

from __future__ import annotations

import base64

import pytest

from adapters.outbound.address_register import soap
from adapters.outbound.address_register.soap import Operation, SoapFault
from gateway.domain.parties import CommunicationParty, ElectronicAddress, PartyType, PhysicalAddress
from gateway.primitives.errors import MalformedInput
from gateway.primitives.xmlsafe import parse_xml

# Written for these tests in the shape of a recorded answer of NHN's test register: SOAP 1.2,
# default AR namespace, Common-namespace addresses, xsi:type, nil elements, ParentHerId -1 and a
# postal code that lost its leading zero.
REAL_SHAPED_DETAILS = b"""<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"
    xmlns:a="http://www.w3.org/2005/08/addressing"><s:Body>
  <GetCommunicationPartyDetailsResponse xmlns="http://register.nhn.no/CommunicationParty">
    <GetCommunicationPartyDetailsResult i:type="Organization" xmlns:i="http://www.w3.org/2001/XMLSchema-instance">
      <Active>true</Active>
      <DisplayName i:nil="true"/>
      <ElectronicAddresses xmlns:b="http://register.nhn.no/Common">
        <b:ElectronicAddress>
          <b:Address>test-edi@example.invalid</b:Address>
          <b:Inherited>false</b:Inherited>
          <b:Type><b:CodeValue>E_EDI</b:CodeValue></b:Type>
          <b:TypeCodeValue>E_EDI</b:TypeCodeValue>
        </b:ElectronicAddress>
      </ElectronicAddresses>
      <HerId>8100001</HerId>
      <Name>TESTKLINIKK AS</Name>
      <ParentHerId>-1</ParentHerId>
      <ParentName i:nil="true"/>
      <ParentOrganizationNumber>-1</ParentOrganizationNumber>
      <PhysicalAddresses xmlns:b="http://register.nhn.no/Common">
        <b:PhysicalAddress>
          <b:City>OSLO</b:City>
          <b:PostalCode>161</b:PostalCode>
          <b:Postbox/>
          <b:StreetAddress>Testgata 9</b:StreetAddress>
          <b:TypeCodeValue>RES</b:TypeCodeValue>
        </b:PhysicalAddress>
      </PhysicalAddresses>
      <Type>Organization</Type>
      <OrganizationNumber>991203117</OrganizationNumber>
      <Services><Service><HerId>8100002</HerId><Name>nested, ignored</Name></Service></Services>
    </GetCommunicationPartyDetailsResult>
  </GetCommunicationPartyDetailsResponse>
</s:Body></s:Envelope>"""

REAL_SHAPED_NOT_FOUND = b"""<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body>
  <s:Fault>
    <s:Code><s:Value>s:Sender</s:Value></s:Code>
    <s:Reason><s:Text xml:lang="nb-NO">Kommunikasjonspart med oppgitt HER-id eksisterer ikke.</s:Text></s:Reason>
    <s:Detail><GenericFault xmlns="http://register.nhn.no/Common">
      <ErrorCode>InvalidHerIdSupplied</ErrorCode><Message>Kommunikasjonspart finnes ikke.</Message>
    </GenericFault></s:Detail>
  </s:Fault>
</s:Body></s:Envelope>"""


def test_request_names_operation_and_her_id() -> None:
    body = soap.build_request(Operation.ENCRYPTION_CERTIFICATE, 79768)
    root = parse_xml(body)
    call = root[0][0]
    assert call.tag == "{http://register.nhn.no/CommunicationParty}GetCertificateDetailsForEncryption"
    assert call[0].tag == "{http://register.nhn.no/CommunicationParty}herId"
    assert call[0].text == "79768"
    assert soap.soap_action(Operation.PING) == (
        "http://register.nhn.no/CommunicationParty/ICommunicationPartyService/Ping"
    )


def test_request_round_trip_through_the_register_side() -> None:
    for operation in Operation:
        her_id = None if operation is Operation.PING else 8142519
        body = soap.build_request(operation, her_id)
        parsed = soap.parse_request(body, f'"{soap.soap_action(operation)}"')
        assert parsed == soap.SoapRequest(operation, her_id)


def test_request_with_mismatching_soapaction_is_refused() -> None:
    body = soap.build_request(Operation.PING)
    with pytest.raises(MalformedInput) as caught:
        soap.parse_request(body, soap.soap_action(Operation.COMMUNICATION_PARTY_DETAILS))
    assert caught.value.code == "AR_SOAPACTION_MISMATCH"


def test_request_with_doctype_is_refused_by_the_hardened_parser() -> None:
    body = b'<!DOCTYPE x [<!ENTITY e "boom">]>' + soap.build_request(Operation.PING).split(b"?>", 1)[1]
    with pytest.raises(MalformedInput) as caught:
        soap.parse_request(body, None)
    assert caught.value.code == "XML_DTD_FORBIDDEN"


def test_real_shaped_soap12_details_are_read() -> None:
    response = soap.parse_response(REAL_SHAPED_DETAILS, Operation.COMMUNICATION_PARTY_DETAILS)
    assert not isinstance(response, SoapFault)
    party = soap.party_from_result(response)
    assert party == CommunicationParty(
        her_id="8100001",
        name="TESTKLINIKK AS",
        type=PartyType.ORGANIZATION,
        active=True,
        organization_number="991203117",
        electronic_addresses=(ElectronicAddress("E_EDI", "test-edi@example.invalid"),),
        physical_addresses=(PhysicalAddress(street="Testgata 9", postal_code="0161", city="OSLO"),),
    )


def test_real_shaped_soap12_not_found_fault_is_recognised() -> None:
    fault = soap.parse_response(REAL_SHAPED_NOT_FOUND, Operation.COMMUNICATION_PARTY_DETAILS)
    assert isinstance(fault, SoapFault)
    assert fault.sender and fault.no_such_her_id
    assert "eksisterer ikke" in fault.reason


def test_soap11_faults_both_kinds() -> None:
    server = soap.parse_response(soap.build_fault(sender=False, reason="busy"), Operation.PING)
    client = soap.parse_response(
        soap.build_fault(sender=True, reason="nope", error_code="InvalidHerIdSupplied"), Operation.PING
    )
    assert server == SoapFault(sender=False, reason="busy")
    assert client == SoapFault(sender=True, reason="nope", error_code="InvalidHerIdSupplied")


def test_details_round_trip_keeps_every_field() -> None:
    party = CommunicationParty(
        her_id="8142531",
        name="Fysioterapitjenesten",
        type=PartyType.SERVICE,
        active=False,
        organization_number="964127808",
        parent_her_id="8142530",
        parent_name="Eksempel kommune",
        parent_organization_number="964127808",
        electronic_addresses=(ElectronicAddress("E_EDI", "a@b.invalid"), ElectronicAddress("E_DS", "ldap://x")),
        physical_addresses=(PhysicalAddress("Rådhusplassen 3", "7010", "TRONDHEIM"), PhysicalAddress()),
    )
    response = soap.parse_response(soap.build_details_response(party), Operation.COMMUNICATION_PARTY_DETAILS)
    assert not isinstance(response, SoapFault)
    assert soap.party_from_result(response) == party


def test_certificate_round_trip_and_absent_certificate() -> None:
    op = Operation.SIGNATURE_CERTIFICATE
    present = soap.parse_response(soap.build_certificate_response(op, b"\x30\x03\x02\x01\x01"), op)
    absent = soap.parse_response(soap.build_certificate_response(op, None), op)
    assert not isinstance(present, SoapFault) and not isinstance(absent, SoapFault)
    assert soap.certificate_from_result(present, op) == b"\x30\x03\x02\x01\x01"
    assert soap.certificate_from_result(absent, op) is None


def test_certificate_that_is_not_base64_is_refused() -> None:
    op = Operation.ENCRYPTION_CERTIFICATE
    body = soap.build_certificate_response(op, b"x").replace(base64.b64encode(b"x"), b"!!not base64!!")
    response = soap.parse_response(body, op)
    assert not isinstance(response, SoapFault)
    with pytest.raises(MalformedInput) as caught:
        soap.certificate_from_result(response, op)
    assert caught.value.code == "AR_CERTIFICATE_NOT_BASE64"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"<html>oops</html>", "AR_NOT_SOAP"),
        (b'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body/></s:Envelope>', "AR_NOT_SOAP"),
        (soap.build_ping_response(), "AR_RESPONSE_SHAPE"),
        (b"not xml at all", "XML_MALFORMED"),
    ],
)
def test_wrongly_shaped_details_answers(body: bytes, code: str) -> None:
    with pytest.raises(MalformedInput) as caught:
        soap.parse_response(body, Operation.COMMUNICATION_PARTY_DETAILS)
    assert caught.value.code == code
