"""Static API keys: hashes only in the settings, compared in constant time; the CLI makes them."""

from __future__ import annotations

import hashlib
import json

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from gateway.auth.api_keys import ApiKeyVerifier, hash_key, new_api_key
from gateway.cli import build_app
from gateway.config.security import ApiKeyClient
from gateway.config.settings import load_settings
from gateway.primitives.errors import ConfigurationError
from tests.gateway.auth.conftest import READER_A, UNIT_A, AppFactory, code_of


def test_a_configured_key_authenticates_as_its_client(app_client: TestClient) -> None:
    assert app_client.get("/fhir/metadata", headers=READER_A.headers).status_code == 200
    wrong = app_client.get("/fhir/metadata", headers={"Authorization": f"Bearer {READER_A.key}x"})
    assert wrong.status_code == 401 and code_of(wrong) == "API_KEY_INVALID"
    # The hash itself is not a key.
    as_hash = app_client.get("/fhir/metadata", headers={"Authorization": f"Bearer {hash_key(READER_A.key)}"})
    assert as_hash.status_code == 401


def test_the_verifier_finds_the_client_by_the_keys_hash() -> None:
    made = new_api_key("pas", ["bookings:push"], [UNIT_A])
    assert made.key.startswith("ngk_") and len(made.key) >= 40
    assert made.entry.key_sha256 == hashlib.sha256(made.key.encode()).hexdigest()
    other = new_api_key("other", [], [])
    verifier = ApiKeyVerifier([other.entry, made.entry])
    assert verifier.verify(made.key) == made.entry
    assert verifier.verify(made.key[:-1]) is None
    assert verifier.verify("") is None
    assert verifier.verify("\udcff odd") is None


@pytest.mark.parametrize("entry", [
    {"client_id": "x", "key_sha256": "not-a-hash"},
    {"client_id": "x", "key_sha256": "A" * 64},
    {"client_id": "x", "key_sha256": "a" * 64, "scopes": ["everything"]},
    {"client_id": "x", "key_sha256": "a" * 64, "tenants": [" spaced "]},
    {"client_id": "", "key_sha256": "a" * 64},
])
def test_bad_key_entries_stop_start_up(entry: dict[str, object]) -> None:
    with pytest.raises(ConfigurationError) as caught:
        load_settings(api_keys=[entry])
    assert caught.value.code == "SETTINGS_INVALID" and "NORDGATE_API_KEYS" in caught.value.message


def test_api_keys_come_from_the_environment_as_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NORDGATE_API_KEYS", json.dumps([READER_A.entry()]))
    monkeypatch.setenv("NORDGATE_JWT_CLIENTS", json.dumps({"helseid-client": [UNIT_A]}))
    settings = load_settings()
    assert settings.api_keys == [ApiKeyClient(**READER_A.entry())]  # type: ignore[arg-type]
    assert settings.jwt_clients == {"helseid-client": [UNIT_A]}


def test_the_cli_prints_a_new_key_once_and_an_entry_that_works(make_client: AppFactory) -> None:
    result = CliRunner().invoke(build_app(), ["api-key", "create", "--client", "pas-skane", "--scope",
                                              "fhir:read", "--tenant", UNIT_A])
    assert result.exit_code == 0, result.output
    key = next(word for word in result.output.split() if word.startswith("ngk_"))
    entry_line = next(line.strip() for line in result.output.splitlines() if line.strip().startswith('{"client_id"'))
    entry = json.loads(entry_line)
    assert entry == {"client_id": "pas-skane", "key_sha256": hash_key(key), "scopes": ["fhir:read"],
                     "tenants": [UNIT_A]}
    with make_client(api_keys=[entry]) as client:
        assert client.get("/fhir/metadata", headers={"Authorization": f"Bearer {key}"}).status_code == 200
    unknown = CliRunner().invoke(build_app(), ["api-key", "create", "--client", "x", "--scope", "root",
                                               "--tenant", UNIT_A])
    assert unknown.exit_code == 2 and "unknown scope" in unknown.output


def test_without_any_client_every_request_is_refused(make_client: AppFactory, caplog: pytest.LogCaptureFixture) -> None:
    with make_client(api_keys=[], jwt_issuers=[]) as client:
        refused = client.get("/fhir/metadata", headers=READER_A.headers)
        assert refused.status_code == 401
        assert client.get("/healthz").status_code == 200
    assert "nordgate api-key create" in caplog.text
