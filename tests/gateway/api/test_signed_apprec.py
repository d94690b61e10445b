"""Receipts as NHN carries them, through the running gateway: an AppRec OpenSSL signed (CMS signed
data) and then encrypted for the gateway is opened, verified and bound to the organisation the
settlement went to; signed data also comes unencrypted; with ``apprec_require_signature`` a receipt
that is not signed is refused."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gateway.api import create_app
from gateway.primitives.errors import ConfigurationError
from tests.adapters.outbound.cms_signing import Identity, encrypt, enterprise, example, example_ca, sign
from tests.auth_helpers import DEFAULT_CLIENT
from tests.gateway.api.test_settlement_encryption import CMS, JSON, OWN_PEM, code_of, encrypted_settings
from tests.gateway.settlement.service.helpers import AR_DATA, apprec, batch, to_bytes

HELFO_ORGNR = str(json.loads((AR_DATA / "79768-helfo.json").read_text(encoding="utf-8"))["organizationNumber"])
SIGNED = {"content-type": "application/pkcs7-mime; smime-type=signed-data"}


@pytest.fixture(scope="module")
def helfo(tmp_path_factory: pytest.TempPathFactory) -> Identity:
    return enterprise(tmp_path_factory.mktemp("helfo"), HELFO_ORGNR, example_ca(), name="HELFO TEST")


def app_client(tmp_path: Path, **overrides: Any) -> TestClient:
    return TestClient(create_app(encrypted_settings(tmp_path, **overrides)), headers=DEFAULT_CLIENT.headers)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with app_client(tmp_path) as test_client:
        yield test_client


def submitted(client: TestClient) -> str:
    """The MsgId of a settlement just accepted, which an AppRec answers."""
    return str(accepted(client)["msgId"])


def accepted(client: TestClient) -> dict[str, Any]:
    response = client.post("/settlements", content=to_bytes(batch()), headers=JSON)
    assert response.status_code == 202, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.parametrize("form", ["DER", "SMIME"])
def test_a_sign_then_encrypt_apprec_from_the_receiver_is_recorded(client: TestClient, helfo: Identity,
                                                                  form: str) -> None:
    msg_id = submitted(client)
    receipt = encrypt(sign(apprec(msg_id, 2, ("X12",)), helfo), OWN_PEM, form=form)
    response = client.post("/apprec", content=receipt, headers=CMS)
    assert response.status_code == 200, response.text
    assert response.json()["state"] == "rejected" and response.json()["appRec"]["errorCodes"] == ["X12"]


def test_a_sign_then_encrypt_apprec_signed_by_another_organisation_is_refused(client: TestClient) -> None:
    settlement = accepted(client)
    receipt = encrypt(sign(apprec(settlement["msgId"]), example("enterprise-a")), OWN_PEM)
    response = client.post("/apprec", content=receipt, headers=CMS)
    assert response.status_code == 422 and code_of(response) == "SENDER_SIGNER_MISMATCH"
    assert "921000006" in response.text and HELFO_ORGNR in response.text
    assert client.get(f"/settlements/{settlement['id']}").json()["appRec"] is None


def test_a_changed_signed_apprec_is_signature_invalid(client: TestClient, helfo: Identity) -> None:
    msg_id = submitted(client)
    changed = sign(apprec(msg_id, 1), helfo).replace(b'<Status V="1"', b'<Status V="2"')
    response = client.post("/apprec", content=encrypt(changed, OWN_PEM), headers=CMS)
    assert response.status_code == 422 and code_of(response) == "SIGNATURE_INVALID"


def test_signed_data_sent_unencrypted_needs_no_decryption_key(tmp_path: Path, helfo: Identity) -> None:
    with app_client(tmp_path, decryption_p12=None, decryption_password_file=None) as client:
        msg_id = submitted(client)
        for form in ("DER", "PEM"):
            response = client.post("/apprec", content=sign(apprec(msg_id), helfo, form=form), headers=SIGNED)
            assert response.status_code == 200, response.text
            assert response.json()["state"] == "acknowledged"


def test_with_signatures_required_an_unsigned_apprec_is_refused(tmp_path: Path, helfo: Identity) -> None:
    with app_client(tmp_path, apprec_require_signature=True) as client:
        msg_id = submitted(client)
        for body, headers in ((apprec(msg_id), {"content-type": "application/xml"}),
                              (encrypt(apprec(msg_id), OWN_PEM), CMS)):
            response = client.post("/apprec", content=body, headers=headers)
            assert response.status_code == 422 and code_of(response) == "APPREC_SIGNATURE_MISSING"
        signed = client.post("/apprec", content=encrypt(sign(apprec(msg_id), helfo), OWN_PEM), headers=CMS)
        assert signed.status_code == 200 and signed.json()["state"] == "acknowledged"


def test_requiring_signatures_without_trust_anchors_stops_start_up(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError) as caught:
        create_app(encrypted_settings(tmp_path, apprec_require_signature=True, signing_trust_anchors=None,
                                      enterprise_p12=None, enterprise_password_file=None))
    assert caught.value.code == "SIGNING_TRUST_MISSING" and "APPREC_REQUIRE_SIGNATURE" in caught.value.message

