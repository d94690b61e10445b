"""The client over httpx.MockTransport: parsing, error mapping, retries (no real sleeping)."""

from __future__ import annotations

import base64
from pathlib import Path

import httpx
import pytest
from cryptography import x509

from adapters.outbound.address_register import AddressRegisterClient, RetryPolicy, soap
from adapters.outbound.address_register.soap import Operation
from adapters.outbound.address_register.stub_server import PartyRecord, StubRegister
from gateway.domain.parties import CommunicationParty, ElectronicAddress, PartyType, PhysicalAddress
from gateway.primitives.errors import ConfigurationError, MalformedInput, NotFound, RegisterUnavailable

from .conftest import CLINIC, HELFO, INACTIVE, PERSON, PHYSIO, MakeClient, in_turn, stub_handler


def _server_fault(_: httpx.Request) -> httpx.Response:
    return httpx.Response(500, content=soap.build_fault(sender=False, reason="internal"))


def _xml(body: bytes, status: int = 200) -> httpx.Response:
    return httpx.Response(status, content=body, headers={"content-type": "text/xml"})


# ---------------------------------------------------------------------------- happy path

def test_helfo_details_have_every_field(stub: StubRegister, make_client: MakeClient) -> None:
    client, recorder = make_client(stub_handler(stub))
    party = client.communication_party(HELFO)
    assert party == CommunicationParty(
        her_id="79768",
        name="Helfo",
        type=PartyType.ORGANIZATION,
        active=True,
        organization_number="889640782",
        electronic_addresses=(
            ElectronicAddress("E_EDI", "helfo-oppgjor@edi.example.nhn.no"),
            ElectronicAddress(
                "E_DS",
                "ldap://ldap.example.invalid/dc=Buypass,dc=no?usercertificate;binary?sub?"
                "(certificateSerialNumber=7976801)",
            ),
        ),
        physical_addresses=(PhysicalAddress("Postboks 2415", "3104", "TØNSBERG"),),
    )
    request = recorder.requests[0]
    assert str(request.url) == "http://ar.test/v1/AR"
    assert request.headers["soapaction"] == (
        '"http://register.nhn.no/CommunicationParty/ICommunicationPartyService/GetCommunicationPartyDetails"'
    )
    assert request.headers["content-type"].startswith("text/xml")
    assert recorder.sleeps == []


def test_parent_person_service_and_inactive_parties(stub: StubRegister, make_client: MakeClient) -> None:
    client, _ = make_client(stub_handler(stub))
    physio = client.communication_party(PHYSIO)
    assert (physio.type, physio.parent_her_id, physio.parent_name, physio.parent_organization_number) == (
        PartyType.SERVICE, "8142530", "Eksempel kommune", "921000006"
    )
    person = client.communication_party(PERSON)
    assert person.type is PartyType.PERSON and person.organization_number is None
    assert person.parent_her_id == CLINIC
    assert client.communication_party(INACTIVE).active is False


def test_certificates_are_der_and_distinct(stub: StubRegister, make_client: MakeClient) -> None:
    client, recorder = make_client(stub_handler(stub))
    encryption = client.encryption_certificate(HELFO)
    signature = client.signature_certificate(HELFO)
    assert encryption != signature
    # Told apart by what each key may do, not by a name.
    encryption_usage = x509.load_der_x509_certificate(encryption).extensions.get_extension_for_class(x509.KeyUsage)
    signature_usage = x509.load_der_x509_certificate(signature).extensions.get_extension_for_class(x509.KeyUsage)
    assert encryption_usage.value.key_encipherment and not encryption_usage.value.content_commitment
    assert signature_usage.value.content_commitment and not signature_usage.value.key_encipherment
    assert [r.headers["soapaction"].rsplit("/", 1)[1] for r in recorder.requests] == [
        'GetCertificateDetailsForEncryption"', 'GetCertificateDetailsForValidatingSignature"'
    ]


def test_party_without_certificate_is_not_found_with_its_own_code(
    stub: StubRegister, make_client: MakeClient
) -> None:
    client, recorder = make_client(stub_handler(stub))
    with pytest.raises(NotFound) as caught:
        client.encryption_certificate(PERSON)
    assert (caught.value.code, caught.value.her_id) == ("AR_NO_CERTIFICATE", PERSON)
    assert len(recorder.requests) == 1


def test_ping_and_check(stub: StubRegister, make_client: MakeClient) -> None:
    client, _ = make_client(stub_handler(stub))
    assert client.ping() is True
    client.check()
    down, recorder = make_client(_server_fault)
    assert down.ping() is False
    with pytest.raises(RegisterUnavailable) as caught:
        down.check()
    assert caught.value.code == "AR_FAULT"
    assert recorder.sleeps == []  # a health check answers now; it does not retry


# ------------------------------------------------------------------------ error mapping

def test_unknown_her_id_is_not_found_and_not_retried(stub: StubRegister, make_client: MakeClient) -> None:
    client, recorder = make_client(stub_handler(stub))
    with pytest.raises(NotFound) as caught:
        client.communication_party("1234567")
    assert caught.value.code == "AR_NO_SUCH_HER_ID"
    assert caught.value.her_id == "1234567"
    assert caught.value.http_status == 404
    assert len(recorder.requests) == 1
    assert recorder.sleeps == []


def test_server_faults_then_success_are_retried_with_backoff(
    stub: StubRegister, make_client: MakeClient
) -> None:
    client, recorder = make_client(in_turn(_server_fault, _server_fault, stub_handler(stub)))
    assert client.communication_party(HELFO).name == "Helfo"
    assert len(recorder.requests) == 3
    assert recorder.sleeps == pytest.approx([0.1, 0.2])  # base 0.1 s, doubled, jitter at its top


def test_always_500_gives_register_unavailable_after_all_attempts(make_client: MakeClient) -> None:
    client, recorder = make_client(_server_fault, retry=RetryPolicy(attempts=4, base_delay_s=0.1, max_delay_s=0.25))
    with pytest.raises(RegisterUnavailable) as caught:
        client.communication_party(HELFO)
    assert caught.value.code == "AR_FAULT"
    assert caught.value.her_id == HELFO
    assert caught.value.http_status == 503
    assert "after 4 attempt(s)" in caught.value.message
    assert len(recorder.requests) == 4
    assert recorder.sleeps == pytest.approx([0.1, 0.2, 0.25])  # capped at max_delay_s


def test_jitter_spreads_delays_between_half_and_full() -> None:
    policy = RetryPolicy(base_delay_s=1.0, max_delay_s=10.0)
    assert policy.delay(2, 0.0) == pytest.approx(2.0)
    assert policy.delay(2, 1.0) == pytest.approx(4.0)
    assert policy.delay(10, 0.5) == pytest.approx(7.5)


def test_timeouts_become_register_unavailable(make_client: MakeClient) -> None:
    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("read timed out", request=request)

    client, recorder = make_client(timeout)
    with pytest.raises(RegisterUnavailable) as caught:
        client.signature_certificate(HELFO)
    assert caught.value.code == "AR_TIMEOUT"
    assert isinstance(caught.value.__cause__, httpx.ReadTimeout)
    assert len(recorder.requests) == 3


def test_connect_errors_and_503_are_retried(stub: StubRegister, make_client: MakeClient) -> None:
    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    unavailable = httpx.Response(503, text="Service Unavailable")
    client, recorder = make_client(in_turn(refused, lambda _: unavailable, stub_handler(stub)))
    assert client.communication_party(CLINIC).name == "Eksempel legekontor"
    assert len(recorder.sleeps) == 2


def test_deadline_stops_retrying_early(make_client: MakeClient) -> None:
    client, recorder = make_client(
        _server_fault, retry=RetryPolicy(attempts=10, base_delay_s=1.0, max_delay_s=8.0, deadline_s=5.0)
    )
    with pytest.raises(RegisterUnavailable):
        client.communication_party(HELFO)
    assert recorder.sleeps == pytest.approx([1.0, 2.0])  # a further 4 s would pass the 5 s deadline
    assert len(recorder.requests) == 3


def test_garbage_body_is_a_distinct_error_and_not_retried(make_client: MakeClient) -> None:
    client, recorder = make_client(lambda _: httpx.Response(200, text="<html>Proxy login</html>"))
    with pytest.raises(RegisterUnavailable) as caught:
        client.communication_party(HELFO)
    assert caught.value.code == "AR_BAD_RESPONSE"
    assert isinstance(caught.value.__cause__, MalformedInput)
    assert len(recorder.requests) == 1


def test_html_error_page_with_500_is_treated_as_transient(stub: StubRegister, make_client: MakeClient) -> None:
    bad_gateway = httpx.Response(500, text="<html>Bad gateway</html>")
    client, recorder = make_client(in_turn(lambda _: bad_gateway, stub_handler(stub)))
    assert client.communication_party(HELFO).her_id == HELFO
    assert len(recorder.requests) == 2


@pytest.mark.parametrize("status", [200, 500])
def test_hostile_xml_in_a_response_is_refused(status: int, make_client: MakeClient) -> None:
    hostile = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
        b'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>&lol2;</s:Body></s:Envelope>'
    )
    client, recorder = make_client(lambda _: _xml(hostile, status))
    with pytest.raises(RegisterUnavailable) as caught:
        client.communication_party(HELFO)
    assert caught.value.code == "AR_HOSTILE_RESPONSE"
    assert len(recorder.requests) == 1


def test_wrong_response_element_is_a_bad_response(make_client: MakeClient) -> None:
    client, _ = make_client(lambda _: _xml(soap.build_ping_response()))
    with pytest.raises(RegisterUnavailable) as caught:
        client.communication_party(HELFO)
    assert caught.value.code == "AR_BAD_RESPONSE"


def test_certificate_garbage_is_refused_with_its_own_code(make_client: MakeClient) -> None:
    record = PartyRecord(
        party=CommunicationParty(her_id="8100009", name="Broken", type=PartyType.ORGANIZATION, active=True),
        encryption_certificate=b"this is not a certificate",
        signature_certificate=base64.b64decode("MAMCAQE="),  # valid DER, but an INTEGER, not a certificate
    )
    client, _ = make_client(stub_handler(StubRegister({8100009: record})))
    for lookup in (client.encryption_certificate, client.signature_certificate):
        with pytest.raises(RegisterUnavailable) as caught:
            lookup("8100009")
        assert caught.value.code == "AR_CERTIFICATE_INVALID"


def test_other_sender_faults_are_not_retried(make_client: MakeClient) -> None:
    body = soap.build_fault(sender=True, reason="Access denied", error_code="NotAuthorized")
    client, recorder = make_client(lambda _: _xml(body, 500))
    with pytest.raises(RegisterUnavailable) as caught:
        client.communication_party(HELFO)
    assert caught.value.code == "AR_FAULT"
    assert "NotAuthorized" in caught.value.message
    assert len(recorder.requests) == 1


@pytest.mark.parametrize(
    ("status", "code"), [(401, "AR_UNAUTHORIZED"), (403, "AR_UNAUTHORIZED"), (404, "AR_HTTP_ERROR")]
)
def test_http_errors_that_retrying_cannot_fix(status: int, code: str, make_client: MakeClient) -> None:
    client, recorder = make_client(lambda _: httpx.Response(status))
    with pytest.raises(RegisterUnavailable) as caught:
        client.communication_party(HELFO)
    assert caught.value.code == code
    assert len(recorder.requests) == 1


@pytest.mark.parametrize("her_id", ["", "abc", "12345678901", "-5", "0", "１２３"])
def test_what_is_not_a_her_id_never_reaches_the_register(her_id: str, make_client: MakeClient) -> None:
    client, recorder = make_client(_server_fault)
    with pytest.raises(MalformedInput) as caught:
        client.communication_party(her_id)
    assert caught.value.code == "HER_ID_INVALID"
    assert recorder.requests == []


# --------------------------------------------------------------------------- building

def test_create_sends_basic_auth_and_never_shows_the_password(stub: StubRegister, tmp_path: Path) -> None:
    secret_file = tmp_path / "ar-password"
    secret_file.write_text("s3cret-pa55\n", encoding="utf-8")
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.headers.get("authorization") != "Basic " + base64.b64encode(b"nordgate:s3cret-pa55").decode():
            return httpx.Response(401)
        return stub_handler(stub)(request)

    with AddressRegisterClient.create(
        "https://ar.test/v1/AR", username="nordgate", password_file=secret_file, transport=httpx.MockTransport(handler)
    ) as client:
        assert client.communication_party(HELFO).name == "Helfo"
        assert "s3cret" not in repr(client)
    with AddressRegisterClient.create(
        "https://ar.test/v1/AR", username="nordgate", password="wrong-s3cret", transport=httpx.MockTransport(handler)
    ) as client, pytest.raises(RegisterUnavailable) as caught:
        client.communication_party(HELFO)
    assert caught.value.code == "AR_UNAUTHORIZED"
    assert "s3cret" not in str(caught.value) and "s3cret" not in repr(caught.value)
    assert str(seen[0].url) == "https://ar.test/v1/AR"


@pytest.mark.parametrize(
    ("endpoint", "kwargs", "code"),
    [
        ("ftp://ar.test/v1/AR", {}, "AR_ENDPOINT_INVALID"),
        ("https://user:pw@ar.test/v1/AR", {}, "AR_ENDPOINT_INVALID"),
        ("https://ar.test/v1/AR", {"username": "u"}, "AR_CREDENTIALS_INVALID"),
        ("https://ar.test/v1/AR", {"password": "p"}, "AR_CREDENTIALS_INVALID"),
        ("https://ar.test/v1/AR", {"username": "u", "password_file": Path("/nonexistent/pw")},
         "AR_CREDENTIALS_INVALID"),
    ],
)
def test_create_refuses_bad_settings(endpoint: str, kwargs: dict[str, object], code: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        AddressRegisterClient.create(endpoint, **kwargs)  # type: ignore[arg-type]
    assert caught.value.code == code
    assert "pw@" not in caught.value.message


def test_retry_policy_refuses_nonsense() -> None:
    with pytest.raises(ConfigurationError):
        RetryPolicy(attempts=0)


def test_the_operations_the_client_uses_are_the_ones_the_stub_serves() -> None:
    assert {op.value for op in Operation} == {
        "GetCommunicationPartyDetails",
        "GetCertificateDetailsForEncryption",
        "GetCertificateDetailsForValidatingSignature",
        "Ping",
    }
