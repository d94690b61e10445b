"""Settings are validated at start-up with messages that name the environment variable."""

from __future__ import annotations

import pytest

from gateway.config.settings import load_settings
from gateway.primitives.errors import ConfigurationError


def test_defaults_are_the_embedded_sqlite_gateway() -> None:
    settings = load_settings()
    assert settings.database_url == "sqlite:///nordgate.db"
    assert settings.sqlite_path == "nordgate.db"
    assert settings.max_body_bytes == 5 * 1024 * 1024
    assert settings.base_url == "http://127.0.0.1:8080/fhir"


def test_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NORDGATE_MAX_BODY_BYTES", "2048")
    monkeypatch.setenv("NORDGATE_FHIR_VERSION", "5.0")
    settings = load_settings()
    assert (settings.max_body_bytes, settings.fhir_version) == (2048, "5.0")


@pytest.mark.parametrize("overrides,name", [
    ({"database_url": "mysql://x"}, "NORDGATE_DATABASE_URL"),
    ({"max_body_bytes": 10}, "NORDGATE_MAX_BODY_BYTES"),
    ({"fhir_version": "3.0"}, "NORDGATE_FHIR_VERSION"),
    ({"port": 0}, "NORDGATE_PORT"),
])
def test_bad_settings_stop_start_up_naming_the_variable(overrides: dict[str, object], name: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        load_settings(**overrides)
    assert caught.value.code == "SETTINGS_INVALID" and name in caught.value.message
