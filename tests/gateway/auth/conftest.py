"""An app with JWT issuers, API-key clients bound to single tenants, and a helper to call it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gateway.api import create_app
from gateway.config.settings import load_settings
from tests.auth_helpers import Scope, TestClientSpec, api_key_settings, test_client_spec
from tests.database import database_url_for
from tests.gateway.auth.tokens import write_issuers

UNIT_A = "SE2321000131-E000000000001"   # the crm:scheduling test messages' unit
UNIT_B = "SE2321000131-E000000000002"
ELVIS_UNIT = "SE2321000131-E000000011111"
CLINIC_HER = "8142531"                  # the Norwegian test clinic
ORG = "921000006"                        # its organisation number (the settlement tests' enterprise certificate)

READER_A = test_client_spec("reader-a", scopes={Scope.FHIR_READ, Scope.BOOKINGS_PUSH}, tenants={UNIT_A})
READER_B = test_client_spec("reader-b", scopes={Scope.FHIR_READ, Scope.BOOKINGS_PUSH}, tenants={UNIT_B})
NO_SCOPES = test_client_spec("no-scopes", scopes=set(), tenants={"*"})
JWT_CLIENTS = {"helseid-client": [UNIT_A], "maskinporten-client": [UNIT_A, ORG]}

AppFactory = Callable[..., AbstractContextManager[TestClient]]


@pytest.fixture
def make_client(tmp_path: Path) -> AppFactory:
    """``with make_client(extra clients..., **settings) as client``: an app knowing the default test
    client, READER_A, READER_B, NO_SCOPES, the extra clients, and the two test JWT issuers."""

    @contextmanager
    def factory(*clients: TestClientSpec, **overrides: Any) -> Iterator[TestClient]:
        values: dict[str, Any] = {
            "database_url": database_url_for(tmp_path), "public_base_url": "http://testserver/fhir",
            "outbox_worker": False, "jwt_issuers": write_issuers(tmp_path), "jwt_clients": JWT_CLIENTS,
            **api_key_settings(READER_A, READER_B, NO_SCOPES, *clients)}
        values.update(overrides)
        with TestClient(create_app(load_settings(**values))) as client:
            yield client

    return factory


@pytest.fixture
def app_client(make_client: AppFactory) -> Iterator[TestClient]:
    with make_client() as client:
        yield client


def code_of(response: Any) -> str:
    return str(response.json()["issue"][0]["details"]["coding"][0]["code"])
