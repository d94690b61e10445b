"""Every route of the OpenAPI document, every method: without a token only health and metrics answer
(everything else is a 401 OperationOutcome carrying no data); with a token lacking every scope,
every route is a 403. A route added without a scope fails here."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gateway.api.auth_middleware import PUBLIC_PATHS
from tests.gateway.auth.conftest import NO_SCOPES, code_of

# Plausible values per path parameter name; anything else gets a uuid.
VALUES = {"resource_type": "Appointment", "version_id": "1", "map_id": "crm-time-type", "name": "playground.js",
          "path": "crm-scheduling/01-make-booking-soap.xml"}
BODIES = {"post": b"{}", "patch": b"{}", "put": b"{}"}


def operations(client: TestClient) -> list[tuple[str, str]]:
    schema: dict[str, Any] = client.app.openapi()  # type: ignore[attr-defined]
    found = []
    for template, item in schema["paths"].items():
        path = re.sub(r"\{([^}]+)\}", lambda match: VALUES.get(match[1], str(uuid.uuid4())), template)
        found += [(method, path) for method in item if method in {"get", "post", "put", "patch", "delete"}]
    return found


def call(client: TestClient, method: str, path: str, headers: dict[str, str] | None = None) -> Any:
    return client.request(method.upper(), path, content=BODIES.get(method), headers={
        "content-type": "application/json", **(headers or {})})


def test_without_a_token_nothing_but_health_and_metrics_answers(app_client: TestClient) -> None:
    walked = operations(app_client)
    assert len(walked) >= 25
    for method, path in walked:
        response = call(app_client, method, path)
        if path in PUBLIC_PATHS:
            assert response.status_code != 401, path
            continue
        assert response.status_code == 401, f"{method.upper()} {path}: {response.status_code}"
        assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'
        outcome = response.json()
        # An OperationOutcome with one issue and nothing else: no data of any resource.
        assert set(outcome) == {"resourceType", "issue"} and outcome["resourceType"] == "OperationOutcome"
        assert len(outcome["issue"]) == 1 and outcome["issue"][0]["code"] == "login"
        assert code_of(response) == "TOKEN_MISSING"


@pytest.mark.parametrize("header", ["Bearer ngk_wrong", "Bearer ", "Basic abc", "Bearer a.b.c"])
def test_bad_credentials_get_the_same_wall(app_client: TestClient, header: str) -> None:
    for method, path in operations(app_client):
        if path not in PUBLIC_PATHS:
            assert call(app_client, method, path, {"Authorization": header}).status_code == 401, path


def test_unknown_paths_are_401_too(app_client: TestClient) -> None:
    assert app_client.get("/no/such/route").status_code == 401
    assert app_client.get("/no/such/route", headers=NO_SCOPES.headers).status_code == 404


def test_a_token_without_scopes_is_refused_everywhere(app_client: TestClient) -> None:
    for method, path in operations(app_client):
        if path in PUBLIC_PATHS:
            continue
        response = call(app_client, method, path, NO_SCOPES.headers)
        assert response.status_code == 403, f"{method.upper()} {path}: {response.status_code} {response.text[:200]}"
        assert code_of(response) == "SCOPE_MISSING"


def test_the_document_declares_the_bearer_scheme(app_client: TestClient) -> None:
    schema: dict[str, Any] = app_client.app.openapi()  # type: ignore[attr-defined]
    assert schema["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert schema["paths"]["/bookings"]["post"]["security"] == [{"bearer": []}]
