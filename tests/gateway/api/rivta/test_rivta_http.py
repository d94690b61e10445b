"""``/rivta/…`` at the HTTP level, in-process: what is not a usable SOAP request, who may call, and the
contract folder. Every refusal is a SOAP 1.1 Fault with HTTP 500 and our code in ``detail/ng:code``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from lxml import etree

from gateway.api import create_app
from gateway.bookings.rivta_producer import INTERACTIONS
from gateway.config.settings import load_settings
from tests.auth_helpers import DEFAULT_CLIENT, api_key_settings, test_client_spec
from tests.database import database_url_for
from tests.gateway.api.rivta.conftest import UNIT
from tests.gateway.audit.helpers import rows_of

SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
MAKE = "/rivta/MakeBooking/1/rivtabp21"
NO_SCOPES = test_client_spec("rivta-no-scopes", scopes=())
HEADER = (f'<a:LogicalAddress xmlns:a="urn:riv:itintegration:registry:1">{UNIT}</a:LogicalAddress>')


def envelope(body: str, header: str = HEADER) -> bytes:
    return f'<s:Envelope xmlns:s="{SOAP11}"><s:Header>{header}</s:Header><s:Body>{body}</s:Body></s:Envelope>'.encode()


CANCEL = ('<c:CancelBooking xmlns:c="urn:riv:crm:scheduling:CancelBookingResponder:1">'
          f"<c:healthcare_facility>{UNIT}</c:healthcare_facility><c:bookingId>X-1</c:bookingId></c:CancelBooking>")


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = load_settings(database_url=database_url_for(tmp_path), **api_key_settings(NO_SCOPES))
    with TestClient(create_app(settings), headers=DEFAULT_CLIENT.headers) as test_client:
        yield test_client


def fault_of(reply: object) -> tuple[int, str | None, str | None]:
    document = etree.fromstring(reply.content)  # type: ignore[attr-defined]
    found = document.find(f"{{{SOAP11}}}Body/{{{SOAP11}}}Fault")
    assert found is not None, reply.content  # type: ignore[attr-defined]
    assert reply.headers["content-type"].startswith("text/xml")  # type: ignore[attr-defined]
    return (reply.status_code, found.findtext("faultcode"),  # type: ignore[attr-defined]
            found.findtext("detail/{urn:nordgate:fault:1}code"))


@pytest.mark.parametrize(("body", "faultcode", "code"), [
    (b"<not-xml", "soap:Client", "XML_MALFORMED"),
    (b'<m:MakeBooking xmlns:m="urn:riv:crm:scheduling:MakeBookingResponder:1"/>', "soap:Client",
     "SOAP_ENVELOPE_MISSING"),
    (b'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body/></s:Envelope>', "soap:VersionMismatch",
     "SOAP_VERSION_UNSUPPORTED"),
    (b'<!DOCTYPE x [<!ENTITY e "x">]><x>&e;</x>', "soap:Client", "XML_DTD_FORBIDDEN"),
    (envelope(CANCEL), "soap:Client", "SOAP_ACTION_MISMATCH"),  # a CancelBooking at the MakeBooking endpoint
    (envelope("<x/>", header=""), "soap:Client", "LOGICAL_ADDRESS_MISSING"),
    (envelope("<x/>", header=HEADER + HEADER), "soap:Client", "LOGICAL_ADDRESS_REPEATED"),
    (envelope("<x/><y/>"), "soap:Client", "SOAP_BODY_NOT_ONE_MESSAGE"),
    (envelope("<x/>", header=HEADER + '<t:Tx xmlns:t="urn:example:tx" s:mustUnderstand="1">1</t:Tx>'),
     "soap:MustUnderstand", "SOAP_HEADER_NOT_UNDERSTOOD"),
])
def test_not_a_usable_soap_request_is_a_fault(client: TestClient, body: bytes, faultcode: str, code: str) -> None:
    assert fault_of(client.post(MAKE, content=body, headers={"Content-Type": "text/xml"})) == (500, faultcode, code)


def test_a_soap_action_of_another_interaction_is_a_fault(client: TestClient) -> None:
    reply = client.post("/rivta/CancelBooking/1/rivtabp21", content=envelope(CANCEL),
                        headers={"SOAPAction": '"urn:riv:crm:scheduling:MakeBookingResponder:1:MakeBooking"'})
    assert fault_of(reply) == (500, "soap:Client", "SOAP_ACTION_MISMATCH")
    # The right action, quoted as zeep sends it, is taken: the answer is the write's own ERROR.
    reply = client.post("/rivta/CancelBooking/1/rivtabp21", content=envelope(CANCEL),
                        headers={"SOAPAction": '"urn:riv:crm:scheduling:CancelBookingResponder:1:CancelBooking"'})
    assert reply.status_code == 200 and b"<ns:resultCode>ERROR</ns:resultCode>" in reply.content
    assert b"BOOKING_UNKNOWN: " in reply.content


def test_a_block_for_another_actor_or_without_must_understand_is_ignored(client: TestClient) -> None:
    headers = (HEADER + f'<t:Tx xmlns:t="urn:example:tx" xmlns:s="{SOAP11}" s:mustUnderstand="1" '
               's:actor="urn:example:other-node">1</t:Tx><t:Note xmlns:t="urn:example:tx">x</t:Note>')
    reply = client.post("/rivta/CancelBooking/1/rivtabp21", content=envelope(CANCEL, header=headers))
    assert reply.status_code == 200 and b"BOOKING_UNKNOWN: " in reply.content


@pytest.mark.parametrize("interaction", sorted(INTERACTIONS))
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_without_credentials_every_route_is_a_client_fault(client: TestClient, interaction: str, method: str) -> None:
    reply = client.request(method, INTERACTIONS[interaction].path + ("?wsdl" if method == "GET" else ""),
                           content=envelope(CANCEL), headers={"Authorization": ""})
    assert fault_of(reply) == (500, "soap:Client", "TOKEN_MISSING")
    reply = client.request(method, INTERACTIONS[interaction].path, headers={"Authorization": "Bearer ngk_wrong"})
    assert fault_of(reply) == (500, "soap:Client", "API_KEY_INVALID")


@pytest.mark.parametrize("interaction", sorted(INTERACTIONS))
def test_a_client_without_the_scope_gets_a_fault(client: TestClient, interaction: str) -> None:
    path = INTERACTIONS[interaction].path
    for method in ("GET", "POST"):
        reply = client.request(method, path + ("?wsdl" if method == "GET" else ""), content=envelope(CANCEL),
                               headers=NO_SCOPES.headers)
        assert fault_of(reply) == (500, "soap:Client", "SCOPE_MISSING"), method


def test_unknown_path_and_plain_get_are_faults(client: TestClient) -> None:
    assert fault_of(client.post("/rivta/Nope/1/rivtabp21", content=b"<x/>")) == (500, "soap:Client",
                                                                                 "ROUTE_NOT_FOUND")
    assert fault_of(client.get(MAKE)) == (500, "soap:Client", "METHOD_NOT_ALLOWED")


def test_wsdl_without_the_contract_folder_says_which_setting(client: TestClient) -> None:
    reply = client.get(MAKE + "?wsdl")
    assert reply.status_code == 404
    assert reply.text.startswith("RIVTA_CONTRACT_NOT_CONFIGURED: ")
    assert "NORDGATE_RIVTA_CONTRACT_DIR" in reply.text


SCHEDULE = ('<g:GetSubjectOfCareSchedule xmlns:g="urn:riv:crm:scheduling:GetSubjectOfCareScheduleResponder:1">'
            f"<g:healthcare_facility>{UNIT}</g:healthcare_facility><g:subject_of_care>191212121212</g:subject_of_care>"
            "</g:GetSubjectOfCareSchedule>")


def test_reads_and_writes_are_audited(client: TestClient) -> None:
    """A SOAP read of a citizen's schedule is a read of patient data: it is in the audit trail, as a
    FHIR search is; a write is a booking.push, refused ones included."""
    assert client.post("/rivta/GetSubjectOfCareSchedule/1/rivtabp21", content=envelope(SCHEDULE)).status_code == 200
    assert client.post("/rivta/CancelBooking/1/rivtabp21", content=envelope(CANCEL)).status_code == 200  # ERROR
    searches = rows_of(client, "fhir.search")
    assert [(row["status"], row["client"]) for row in searches] == [(200, DEFAULT_CLIENT.client_id)]
    assert rows_of(client, "booking.push"), "the refused CancelBooking is recorded"
