"""Directory drop (atomic, idempotent per message id), HTTP POST (status → outcome), and either
encrypted for the receiver's certificate from the stand-in address register (opened by OpenSSL)."""

from __future__ import annotations

import base64
import datetime as dt
import json
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from adapters.outbound.address_register import AddressRegisterClient
from adapters.outbound.encryption import MEDIA_TYPE
from adapters.outbound.transport import DirectoryTransport, EncryptingTransport, HttpTransport
from gateway.bootstrap.settlement import in_process_register
from gateway.primitives.errors import ConfigurationError, ReceiverUnavailable, Unprocessable
from tests.gateway.settlement.service.helpers import AR_DATA, CERTS, HELFO, register

MSG = "6b0f3c7e-3f0c-4f6e-9f7a-0d1c2b3a4f5e"


def test_directory_drop_writes_once_per_message_id(tmp_path: Path) -> None:
    transport = DirectoryTransport(tmp_path / "drop")
    transport.deliver(MSG, "79768", b"<a/>")
    transport.deliver(MSG, "79768", b"<a/>")  # a re-delivery after a crash replaces the same file
    files = sorted(p.relative_to(tmp_path) for p in (tmp_path / "drop").rglob("*") if p.is_file())
    assert files == [Path("drop/79768") / f"{MSG}.xml"]
    assert (tmp_path / "drop" / "79768" / f"{MSG}.xml").read_bytes() == b"<a/>"


@pytest.mark.parametrize(("msg_id", "her_id"), [("../../etc/passwd", "79768"), (MSG, ".."), (MSG, "a/b")])
def test_directory_drop_refuses_names_that_could_leave_the_folder(tmp_path: Path, msg_id: str, her_id: str) -> None:
    with pytest.raises(Unprocessable) as caught:
        DirectoryTransport(tmp_path).deliver(msg_id, her_id, b"x")
    assert caught.value.code == "TRANSPORT_NAME_UNSAFE"


def test_unwritable_drop_folder_is_transient(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(ReceiverUnavailable) as caught:
        DirectoryTransport(blocker).deliver(MSG, "79768", b"x")
    assert caught.value.code == "TRANSPORT_DIRECTORY_UNWRITABLE"


def http(handler: httpx.MockTransport) -> HttpTransport:
    return HttpTransport("http://receiver.test/in/{her_id}", transport=handler)


def test_http_posts_with_the_message_id() -> None:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(202)

    http(httpx.MockTransport(handle)).deliver(MSG, "79768", b"<a/>")
    assert seen[0].headers["x-message-id"] == MSG and seen[0].url.path == "/in/79768"
    assert seen[0].content == b"<a/>" and seen[0].headers["content-type"] == "application/xml"


@pytest.mark.parametrize("status", [200, 201, 204, 409])
def test_http_success_and_already_have_it_are_delivered(status: int) -> None:
    http(httpx.MockTransport(lambda _: httpx.Response(status))).deliver(MSG, "79768", b"x")


@pytest.mark.parametrize("status", [500, 502, 503, 429, 408])
def test_http_server_errors_are_transient(status: int) -> None:
    with pytest.raises(ReceiverUnavailable) as caught:
        http(httpx.MockTransport(lambda _: httpx.Response(status))).deliver(MSG, "79768", b"x")
    assert caught.value.code == f"RECEIVER_HTTP_{status}"


def test_http_connection_errors_are_transient() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(ReceiverUnavailable) as caught:
        http(httpx.MockTransport(refuse)).deliver(MSG, "79768", b"x")
    assert caught.value.code == "RECEIVER_UNREACHABLE"


@pytest.mark.parametrize("status", [400, 403, 413])
def test_http_client_errors_fail_permanently(status: int) -> None:
    with pytest.raises(Unprocessable) as caught:
        http(httpx.MockTransport(lambda _: httpx.Response(status))).deliver(MSG, "79768", b"x")
    assert caught.value.code == f"TRANSPORT_REFUSED_{status}"


def test_http_url_must_be_http() -> None:
    with pytest.raises(ConfigurationError):
        HttpTransport("ftp://x/")


def test_http_sends_the_content_type_it_is_given() -> None:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(202)

    HttpTransport("http://receiver.test/", transport=httpx.MockTransport(handle),
                  content_type=MEDIA_TYPE).deliver(MSG, "79768", b"\x30\x80")
    assert seen[0].headers["content-type"] == "application/pkcs7-mime; smime-type=enveloped-data"


# ------------------------------------------------------------------- encrypted for the receiver

RECEIVER_KEY = CERTS / "receiver-encryption.key.pem"
RECEIVER_PEM = CERTS / "receiver-encryption.pem"
PERSON_WITHOUT_CERTIFICATES = "8142520"


def register_where_helfo_encrypts_with(tmp_path: Path, certificate_der: bytes) -> AddressRegisterClient:
    """The stand-in register's sample parties, Helfo's encryption certificate replaced."""
    data = tmp_path / "ar"
    data.mkdir()
    for sample in AR_DATA.glob("*.json"):
        party = json.loads(sample.read_text(encoding="utf-8"))
        if party["herId"] == int(HELFO):
            party["encryptionCertificate"] = base64.b64encode(certificate_der).decode("ascii")
        (data / sample.name).write_text(json.dumps(party), encoding="utf-8")
    return in_process_register(data)


def openssl_decrypt(encrypted: Path, key: Path, cert: Path) -> bytes:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is not installed")
    done = subprocess.run([openssl, "cms", "-decrypt", "-inform", "DER", "-inkey", str(key), "-recip", str(cert),
                           "-in", str(encrypted)], capture_output=True, check=False)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    return done.stdout


def test_encrypted_delivery_drops_a_p7m_the_receiver_opens_to_the_same_bytes(tmp_path: Path) -> None:
    payload = b'<?xml version="1.0" encoding="UTF-8"?>\n<MsgHead>\r\n  \xc3\x86\xc3\x98\xc3\x85  \n</MsgHead>\n'
    drop = DirectoryTransport(tmp_path / "drop", suffix=".p7m")
    with register() as ar:  # the committed sample: Helfo encrypts with certs-example's receiver-encryption
        EncryptingTransport(drop, ar).deliver(MSG, HELFO, payload)
    dropped = drop.path_of(MSG, HELFO)
    assert dropped.name == f"{MSG}.p7m" and payload not in dropped.read_bytes()
    assert openssl_decrypt(dropped, RECEIVER_KEY, RECEIVER_PEM) == payload


def test_the_certificate_is_the_one_the_register_gives_now(tmp_path: Path) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    valid = (dt.datetime(2024, 1, 1, tzinfo=dt.UTC), dt.datetime(2040, 1, 1, tzinfo=dt.UTC))
    renewed = certificate_for(key, valid=valid)
    (tmp_path / "renewed.key.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    (tmp_path / "renewed.pem").write_bytes(renewed.public_bytes(serialization.Encoding.PEM))
    drop = DirectoryTransport(tmp_path / "drop", suffix=".p7m")
    with register_where_helfo_encrypts_with(tmp_path, renewed.public_bytes(serialization.Encoding.DER)) as ar:
        EncryptingTransport(drop, ar).deliver(MSG, HELFO, b"<a/>")
    dropped = drop.path_of(MSG, HELFO)
    assert openssl_decrypt(dropped, tmp_path / "renewed.key.pem", tmp_path / "renewed.pem") == b"<a/>"


def test_a_receiver_without_encryption_certificate_is_retried_with_a_code_of_its_own(tmp_path: Path) -> None:
    drop = DirectoryTransport(tmp_path / "drop", suffix=".p7m")
    with register() as ar, pytest.raises(ReceiverUnavailable) as caught:
        EncryptingTransport(drop, ar).deliver(MSG, PERSON_WITHOUT_CERTIFICATES, b"<a/>")
    assert caught.value.code == "RECEIVER_NO_ENCRYPTION_CERTIFICATE" and caught.value.her_id == "8142520"
    assert not (tmp_path / "drop").exists()  # nothing is ever sent unencrypted


@pytest.mark.parametrize(("valid", "usage", "issue"), [
    ((dt.datetime(2020, 1, 1, tzinfo=dt.UTC), dt.datetime(2023, 1, 1, tzinfo=dt.UTC)), True,
     "ENCRYPTION_CERTIFICATE_EXPIRED"),
    ((dt.datetime(2024, 1, 1, tzinfo=dt.UTC), dt.datetime(2040, 1, 1, tzinfo=dt.UTC)), False,
     "ENCRYPTION_CERTIFICATE_KEY_USAGE"),
])
def test_an_unusable_encryption_certificate_is_retried_naming_why(
    tmp_path: Path, valid: tuple[dt.datetime, dt.datetime], usage: bool, issue: str
) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    unusable = certificate_for(key, valid=valid, key_encipherment=usage)
    drop = DirectoryTransport(tmp_path / "drop", suffix=".p7m")
    with register_where_helfo_encrypts_with(tmp_path, unusable.public_bytes(serialization.Encoding.DER)) as ar, \
            pytest.raises(ReceiverUnavailable) as caught:
        EncryptingTransport(drop, ar).deliver(MSG, HELFO, b"<a/>")
    assert caught.value.code == "RECEIVER_ENCRYPTION_CERTIFICATE_UNUSABLE" and caught.value.message.startswith(issue)
    assert not (tmp_path / "drop").exists()


def test_the_encrypting_transport_closes_the_one_inside() -> None:
    closed: list[bool] = []
    inner = HttpTransport("http://receiver.test/", transport=httpx.MockTransport(lambda _: httpx.Response(200)))
    original = inner.close

    def close() -> None:
        closed.append(True)
        original()

    inner.close = close  # type: ignore[method-assign]
    with register() as ar:
        EncryptingTransport(inner, ar).close()
    assert closed == [True]


def certificate_for(key: rsa.RSAPrivateKey, *, valid: tuple[dt.datetime, dt.datetime],
                    key_encipherment: bool = True) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Helfo KRYPTERING (test)")])
    usage = x509.KeyUsage(digital_signature=not key_encipherment, content_commitment=False,
                          key_encipherment=key_encipherment, data_encipherment=key_encipherment, key_agreement=False,
                          key_cert_sign=False, crl_sign=False, encipher_only=False, decipher_only=False)
    return (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(valid[0]).not_valid_after(valid[1])
            .add_extension(usage, critical=True).sign(key, hashes.SHA256()))
