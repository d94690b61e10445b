"""Issue 13 point 5: a refused authentication leaves an ``auth.refused`` row of client ``anonymous``,
and a flood of refusals adds at most the configured rows a minute plus one count of the rest."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from gateway.api import create_app
from gateway.audit.refusals import RefusalSampler
from gateway.config.settings import load_settings
from tests.database import database_url_for
from tests.gateway.audit.helpers import rows_of


def _client(tmp_path: Path, per_minute: int) -> Iterator[TestClient]:
    settings = load_settings(database_url=database_url_for(tmp_path), public_base_url="http://testserver/fhir",
                             audit_auth_refusals_per_minute=per_minute)
    with TestClient(create_app(settings)) as client:
        yield client


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    yield from _client(tmp_path, 60)


@pytest.fixture
def flooded(tmp_path: Path) -> Iterator[TestClient]:
    yield from _client(tmp_path, 5)


def test_a_refused_token_leaves_an_anonymous_row(client: TestClient) -> None:
    answer = client.get("/fhir/Appointment?patient:identifier=x|191212121212",
                        headers={"authorization": "Bearer not-a-key", "x-request-id": "probe-1"})
    assert answer.status_code == 401
    [row] = rows_of(client, "auth.refused")
    assert row["client"] == "anonymous"
    assert row["status"] == 401
    assert row["requestId"] == "probe-1"
    assert row["detail"]["code"] == answer.json()["issue"][0]["details"]["coding"][0]["code"]
    assert row["detail"]["route"] == "/fhir/{resource_type}"  # the template: no identity number in the row
    assert row["detail"]["method"] == "GET"
    assert "191212121212" not in str(row)


def test_a_missing_token_is_audited_too_but_not_health(client: TestClient) -> None:
    assert client.post("/bookings", content=b"<a/>", headers={"content-type": "application/xml"}).status_code == 401
    assert client.get("/healthz").status_code == 200
    [row] = rows_of(client, "auth.refused")
    assert row["detail"]["code"] == "TOKEN_MISSING"


def test_a_flood_writes_the_limit_only(flooded: TestClient) -> None:
    for _ in range(50):
        assert flooded.get("/fhir/Appointment", headers={"authorization": "Bearer nope"}).status_code == 401
    assert len(rows_of(flooded, "auth.refused")) == 5


def test_sampler_carries_the_suppressed_count_into_the_next_window() -> None:
    now = [0.0]
    sampler = RefusalSampler(2, clock=lambda: now[0])
    assert [sampler.admit() for _ in range(5)] == [(True, 0), (True, 0), (False, 0), (False, 0), (False, 0)]
    now[0] = 61.0
    assert sampler.admit() == (True, 3)
    assert sampler.admit() == (True, 0)
    now[0] = 200.0
    assert sampler.admit() == (True, 0)


def test_zero_writes_none() -> None:
    assert RefusalSampler(0).admit() == (False, 0)
