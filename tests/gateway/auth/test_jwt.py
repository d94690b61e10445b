"""Signed JWTs: RS256 (PEM keys) and ES256 (JWKS, by kid) accepted; everything else refused with 401."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from fastapi.testclient import TestClient

from gateway.primitives.errors import ConfigurationError
from tests.gateway.auth.conftest import AppFactory, code_of
from tests.gateway.auth.tokens import AUDIENCE, HELSEID, MASKINPORTEN, keys, sign


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_refused(response: object, code: str) -> None:
    assert response.status_code == 401, response.text  # type: ignore[attr-defined]
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'  # type: ignore[attr-defined]
    assert code_of(response) == code


def test_an_rs256_token_from_pem_keys_is_accepted(app_client: TestClient) -> None:
    response = app_client.get("/fhir/metadata", headers=bearer(sign()))
    assert response.status_code == 200, response.text


def test_an_es256_token_from_a_jwks_chosen_by_kid_is_accepted(app_client: TestClient) -> None:
    token = sign(alg="ES256", kid="ec-1", issuer=MASKINPORTEN, client_id="maskinporten-client")
    assert app_client.get("/fhir/metadata", headers=bearer(token)).status_code == 200
    # The JWKS's RSA key by its own kid too.
    token = sign(alg="RS256", kid="rsa-1", issuer=MASKINPORTEN, client_id="maskinporten-client")
    assert app_client.get("/fhir/metadata", headers=bearer(token)).status_code == 200


def test_scopes_come_from_scope_or_an_scp_list(app_client: TestClient) -> None:
    assert app_client.get("/fhir/metadata", headers=bearer(sign(scope=None, scp=["fhir:read"]))).status_code == 200
    refused = app_client.get("/fhir/metadata", headers=bearer(sign(scope="bookings:push openid")))
    assert refused.status_code == 403 and code_of(refused) == "SCOPE_MISSING"


def _unsigned(claims: dict[str, object], header: dict[str, object]) -> str:
    def part(data: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    return f"{part(header)}.{part(claims)}."


def test_alg_none_is_refused(app_client: TestClient) -> None:
    now = int(time.time())
    claims = {"iss": HELSEID, "aud": AUDIENCE, "client_id": "helseid-client", "exp": now + 300, "iat": now,
              "scope": "fhir:read"}
    token = _unsigned(claims, {"alg": "none", "typ": "JWT"})
    assert_refused(app_client.get("/fhir/metadata", headers=bearer(token)), "TOKEN_ALGORITHM_REFUSED")


def test_hs256_signed_with_the_public_key_is_refused(app_client: TestClient) -> None:
    # The classic key-confusion attack: the RSA public key (known to all) used as an HMAC secret.
    public_pem = keys().rsa.public_key().public_bytes(serialization.Encoding.PEM,
                                                      serialization.PublicFormat.SubjectPublicKeyInfo)
    now = int(time.time())
    claims = {"iss": HELSEID, "aud": AUDIENCE, "client_id": "helseid-client", "exp": now + 300, "iat": now,
              "scope": "fhir:read"}
    header = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').rstrip(b"=")
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=")
    signature = base64.urlsafe_b64encode(hmac.new(public_pem, header + b"." + payload, hashlib.sha256).digest())
    token = (header + b"." + payload + b"." + signature.rstrip(b"=")).decode()
    assert_refused(app_client.get("/fhir/metadata", headers=bearer(token)), "TOKEN_ALGORITHM_REFUSED")
    other = jwt.encode(claims, "a-shared-secret-of-at-least-32-bytes!!", algorithm="HS256")
    assert_refused(app_client.get("/fhir/metadata", headers=bearer(other)), "TOKEN_ALGORITHM_REFUSED")


@pytest.mark.parametrize(("claims", "code"), [
    ({"issuer": "https://evil.test"}, "TOKEN_ISSUER_UNKNOWN"),
    ({"audience": "someone-else"}, "TOKEN_AUDIENCE_INVALID"),
    ({"lifetime": -120}, "TOKEN_EXPIRED"),
    ({"nbf": int(time.time()) + 3600}, "TOKEN_NOT_YET_VALID"),
    ({"iat": int(time.time()) + 3600, "exp": int(time.time()) + 7200}, "TOKEN_NOT_YET_VALID"),
    ({"exp": None}, "TOKEN_CLAIMS_INVALID"),
    ({"lifetime": 30 * 24 * 3600}, "TOKEN_CLAIMS_INVALID"),
    ({"client_id": None, "sub": None}, "TOKEN_CLAIMS_INVALID"),
])
def test_bad_claims_are_refused(app_client: TestClient, claims: dict[str, object], code: str) -> None:
    assert_refused(app_client.get("/fhir/metadata", headers=bearer(sign(**claims))), code)  # type: ignore[arg-type]


def test_a_small_clock_skew_is_tolerated(app_client: TestClient) -> None:
    token = sign(nbf=int(time.time()) + 10)
    assert app_client.get("/fhir/metadata", headers=bearer(token)).status_code == 200


def test_a_bad_signature_is_refused(app_client: TestClient) -> None:
    assert_refused(app_client.get("/fhir/metadata", headers=bearer(sign(key=keys().other_rsa))),
                   "TOKEN_SIGNATURE_INVALID")
    token = sign()
    head, payload, signature = token.split(".")
    tampered_claims = json.loads(base64.urlsafe_b64decode(payload + "==")) | {"scope": "fhir:read audit:read"}
    tampered = base64.urlsafe_b64encode(json.dumps(tampered_claims).encode()).rstrip(b"=").decode()
    assert_refused(app_client.get("/fhir/metadata", headers=bearer(f"{head}.{tampered}.{signature}")),
                   "TOKEN_SIGNATURE_INVALID")


def test_an_unknown_kid_is_refused(app_client: TestClient) -> None:
    token = sign(alg="ES256", kid="not-there", issuer=MASKINPORTEN, client_id="maskinporten-client")
    assert_refused(app_client.get("/fhir/metadata", headers=bearer(token)), "TOKEN_KEY_UNKNOWN")
    # An EC token for an issuer whose PEM file holds only an RSA key: no key fits.
    assert_refused(app_client.get("/fhir/metadata", headers=bearer(sign(alg="ES256"))), "TOKEN_KEY_UNKNOWN")


def test_a_missing_or_malformed_header_is_401(app_client: TestClient) -> None:
    assert_refused(app_client.get("/fhir/metadata"), "TOKEN_MISSING")
    assert_refused(app_client.get("/fhir/metadata", headers={"Authorization": "Basic dXNlcjpwYXNz"}),
                   "TOKEN_MALFORMED")
    assert_refused(app_client.get("/fhir/metadata", headers=bearer("not.a.jwt")), "TOKEN_MALFORMED")


def test_a_genuine_token_of_an_unconfigured_client_is_403(app_client: TestClient) -> None:
    response = app_client.get("/fhir/metadata", headers=bearer(sign(client_id="stranger")))
    assert response.status_code == 403 and code_of(response) == "CLIENT_NOT_CONFIGURED"


def test_tokens_are_not_logged(make_client: AppFactory, caplog: pytest.LogCaptureFixture) -> None:
    token = sign(lifetime=-120)
    with make_client() as client:
        client.get("/fhir/metadata", headers=bearer(token))
        client.get("/fhir/metadata", headers=bearer("ngk_this-is-a-wrong-key"))
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert token not in logged and token.split(".")[2] not in logged
    assert "this-is-a-wrong-key" not in logged


def test_unreadable_jwt_keys_stop_start_up(make_client: AppFactory, tmp_path: object) -> None:
    issuers = [{"issuer": HELSEID, "audience": AUDIENCE, "public_keys": "/nonexistent/keys.pem"}]
    with pytest.raises(ConfigurationError) as caught, make_client(jwt_issuers=issuers):
        pass
    assert caught.value.code == "JWT_KEYS_UNREADABLE"
