"""Encryption as NHN traffic has it, through the running gateway: with ``encrypt_delivery`` the
settlement leaves as CMS enveloped data that OpenSSL opens, with the receiver's key, to exactly the
stored signed MsgHead, which xmlsec1 then verifies; an AppRec that OpenSSL encrypted for the gateway
is opened with the gateway's own key (``decryption_p12``); what cannot be opened is a 4xx with a
stable code; a receiver without an encryption certificate keeps its message, visibly waiting."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from gateway.api import create_app
from gateway.bootstrap.settlement import build_transport
from gateway.config.settings import Settings, load_settings
from gateway.primitives.errors import ConfigurationError
from tests.auth_helpers import DEFAULT_CLIENT
from tests.database import database_url_for
from tests.gateway.settlement.service.helpers import (
    AR_DATA,
    CA_PEM,
    CERTS,
    ENTERPRISE_P12,
    HELFO,
    PASSWORD_FILE,
    apprec,
    batch,
    to_bytes,
)

JSON = {"content-type": "application/json"}
CMS = {"content-type": "application/pkcs7-mime; smime-type=enveloped-data"}
RECEIVER_KEY = CERTS / "receiver-encryption.key.pem"
RECEIVER_PEM = CERTS / "receiver-encryption.pem"
OWN_P12 = CERTS / "enterprise-a-encryption.p12"
OWN_PEM = CERTS / "enterprise-a-encryption.pem"


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (apt-get install {name}; CI installs it)")
    return path


def run(*args: str | Path, stdin: bytes | None = None) -> bytes:
    done = subprocess.run([str(a) for a in args], input=stdin, capture_output=True, check=False)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    return done.stdout


def encrypted_settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url_for(tmp_path), "ar_data_dir": AR_DATA,
        "signing_trust_anchors": CA_PEM, "enterprise_p12": ENTERPRISE_P12,
        "enterprise_password_file": PASSWORD_FILE, "drop_dir": tmp_path / "drop", "outbox_poll_s": 0.05,
        "encrypt_delivery": True, "decryption_p12": OWN_P12, "decryption_password_file": PASSWORD_FILE,
    }
    values.update(overrides)
    return load_settings(**values)


def wait_for(condition: Callable[[], Any], what: str, timeout_s: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def code_of(response: httpx.Response) -> str:
    return str(response.json()["issue"][0]["details"]["coding"][0]["code"])


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(encrypted_settings(tmp_path)), headers=DEFAULT_CLIENT.headers) as test_client:
        yield test_client


def sent_settlement(client: TestClient) -> dict[str, Any]:
    response = client.post("/settlements", content=to_bytes(batch()), headers=JSON)
    assert response.status_code == 202, response.text
    status_path = httpx.URL(response.json()["status_url"]).path
    return wait_for(lambda: (r := client.get(status_path).json())["state"] == "sent" and r, "sent")  # type: ignore[no-any-return]


def test_the_receiver_opens_the_delivery_to_the_signed_msghead_which_xmlsec1_verifies(
    client: TestClient, tmp_path: Path
) -> None:
    openssl, xmlsec1 = tool("openssl"), tool("xmlsec1")
    sent = sent_settlement(client)
    stored = client.get(f"/settlements/{sent['id']}/message")
    assert stored.status_code == 200 and stored.content.startswith(b"<?xml")  # kept as signed, not encrypted
    dropped = tmp_path / "drop" / HELFO / f"{sent['msgId']}.p7m"
    assert not (tmp_path / "drop" / HELFO / f"{sent['msgId']}.xml").exists()
    assert b"MsgHead" not in dropped.read_bytes()
    opened = tmp_path / "opened.xml"
    opened.write_bytes(run(openssl, "cms", "-decrypt", "-inform", "DER", "-inkey", RECEIVER_KEY,
                           "-recip", RECEIVER_PEM, "-in", dropped))
    assert opened.read_bytes() == stored.content
    run(xmlsec1, "--verify", "--trusted-pem", CA_PEM, opened)


@pytest.mark.parametrize(("cipher", "form"), [("-aes256", "DER"), ("-aes256", "PEM"), ("-aes256", "SMIME"),
                                              ("-des3", "DER")])
def test_an_apprec_openssl_encrypted_for_the_gateway_is_recorded(client: TestClient, cipher: str, form: str) -> None:
    # -des3: what NAV's ebXML payload processor, through which HELFO answers, encrypts with.
    openssl = tool("openssl")
    msg_id = client.post("/settlements", content=to_bytes(batch()), headers=JSON).json()["msgId"]
    encrypted = run(openssl, "cms", "-encrypt", "-binary", cipher, "-outform", form, OWN_PEM,
                    stdin=apprec(msg_id, 2, ("X12",)))
    receipt = client.post("/apprec", content=encrypted, headers=CMS)
    assert receipt.status_code == 200, receipt.text
    assert receipt.json()["state"] == "rejected" and receipt.json()["appRec"]["errorCodes"] == ["X12"]


@pytest.mark.parametrize(("make", "status", "code"), [
    (lambda openssl: run(openssl, "cms", "-encrypt", "-binary", "-aes256", "-outform", "DER", RECEIVER_PEM,
                         stdin=b"<AppRec/>"), 422, "ENCRYPTED_FOR_ANOTHER_CERTIFICATE"),
    (lambda openssl: run(openssl, "cms", "-encrypt", "-binary", "-aes192", "-outform", "DER", OWN_PEM,
                         stdin=b"<AppRec/>"), 422, "ENCRYPTION_UNSUPPORTED"),
    (lambda _: b"\x30\x82\x01\x00 not really", 400, "ENCRYPTED_MESSAGE_UNREADABLE"),
], ids=["for-another-certificate", "aes-192", "not-cms"])
def test_an_apprec_the_gateway_cannot_open_is_a_4xx_with_a_stable_code(
    client: TestClient, make: Callable[[str], bytes], status: int, code: str
) -> None:
    response = client.post("/apprec", content=make(tool("openssl")), headers=CMS)
    assert response.status_code == status and code_of(response) == code


def test_without_a_decryption_key_an_encrypted_apprec_is_415(tmp_path: Path) -> None:
    settings = encrypted_settings(tmp_path, decryption_p12=None, decryption_password_file=None)
    with TestClient(create_app(settings), headers=DEFAULT_CLIENT.headers) as client:
        response = client.post("/apprec", content=b"\x30\x00", headers=CMS)
    assert response.status_code == 415 and code_of(response) == "APPREC_DECRYPTION_NOT_CONFIGURED"


def test_a_receiver_without_encryption_certificate_keeps_its_message_visibly_waiting(tmp_path: Path) -> None:
    data = tmp_path / "ar"
    data.mkdir()
    for sample in AR_DATA.glob("*.json"):
        party = json.loads(sample.read_text(encoding="utf-8"))
        if party["herId"] == int(HELFO):
            del party["encryptionCertificate"]
        (data / sample.name).write_text(json.dumps(party), encoding="utf-8")
    settings = encrypted_settings(tmp_path, ar_data_dir=data, outbox_backoff_base_s=60.0)
    with TestClient(create_app(settings), headers=DEFAULT_CLIENT.headers) as client:
        accepted = client.post("/settlements", content=to_bytes(batch()), headers=JSON).json()
        status_path = httpx.URL(accepted["status_url"]).path
        state = wait_for(lambda: (r := client.get(status_path).json())["delivery"]["attempts"] >= 1 and r, "attempt")
        message = client.get(f"{status_path}/message")
    assert state["state"] == "queued" and state["delivery"]["retrying"] is True
    assert state["delivery"]["lastError"].startswith("RECEIVER_NO_ENCRYPTION_CERTIFICATE: HER-id 79768")
    assert message.status_code == 200 and message.content.startswith(b"<?xml")
    assert not (tmp_path / "drop").exists()  # never sent in clear instead


def test_encryption_is_off_by_default_and_needs_the_address_register(tmp_path: Path) -> None:
    assert Settings().encrypt_delivery is False and Settings().decryption_p12 is None
    with pytest.raises(ConfigurationError) as caught:
        build_transport(encrypted_settings(tmp_path, ar_data_dir=None))
    assert caught.value.code == "SETTINGS_INVALID" and caught.value.location == "encrypt_delivery"


def test_a_wrong_decryption_password_stops_start_up_without_showing_it(tmp_path: Path) -> None:
    wrong = tmp_path / "wrong-password"
    wrong.write_text("not-the-password-123\n")
    with pytest.raises(ConfigurationError) as caught:
        create_app(encrypted_settings(tmp_path, decryption_password_file=wrong))
    assert caught.value.code == "DECRYPTION_P12_UNREADABLE" and "not-the-password-123" not in str(caught.value)


def test_the_committed_sample_register_encrypts_for_the_committed_receiver_key() -> None:
    """The stand-in register's Helfo encryption certificate is certs-example's receiver-encryption:
    a fresh certs-example set without updating the sample would make the try-out undecryptable."""
    helfo = json.loads((AR_DATA / "79768-helfo.json").read_text(encoding="utf-8"))
    pem = RECEIVER_PEM.read_text(encoding="ascii")
    der = base64.b64decode("".join(line for line in pem.splitlines() if not line.startswith("-----")))
    assert base64.b64decode(helfo["encryptionCertificate"]) == der
