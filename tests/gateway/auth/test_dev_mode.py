"""NORDGATE_AUTH_DISABLED: a development convenience, refused unless the gateway is loopback-only."""

from __future__ import annotations

import logging

import pytest

from gateway.auth.authenticate import Authenticator, is_loopback
from gateway.config.settings import load_settings
from gateway.primitives.errors import ConfigurationError, Unauthenticated
from tests.gateway.auth.conftest import AppFactory


@pytest.mark.parametrize("host", ["0.0.0.0", "10.0.0.5", "::", "gateway.example"])
def test_refused_when_listening_beyond_loopback(make_client: AppFactory, host: str) -> None:
    with pytest.raises(ConfigurationError) as caught, make_client(auth_disabled=True, host=host):
        pass
    assert "NORDGATE_AUTH_DISABLED" in caught.value.message


def test_on_loopback_it_serves_without_a_token_and_says_so_loudly(make_client: AppFactory,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="nordgate.auth"), \
            make_client(auth_disabled=True, host="127.0.0.1") as client:
        assert client.get("/fhir/Appointment").status_code == 200
    assert any("AUTHENTICATION IS DISABLED" in record.getMessage() and record.levelno == logging.WARNING
               for record in caplog.records)


def test_remote_peers_are_refused_even_then() -> None:
    authenticator = Authenticator(load_settings(auth_disabled=True))
    assert authenticator.authenticate(None, "127.0.0.1").method == "disabled"
    assert authenticator.authenticate(None, "::1").client_id == "auth-disabled-dev"
    with pytest.raises(Unauthenticated):
        authenticator.authenticate(None, "192.0.2.10")


def test_loopback_addresses() -> None:
    assert all(is_loopback(host) for host in ("127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost"))
    assert not any(is_loopback(host) for host in ("0.0.0.0", "::", "10.1.1.1", None, "example.org"))
