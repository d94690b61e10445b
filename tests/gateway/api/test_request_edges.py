"""Smaller wrong answers of issue 13 (point 6, point 3's last sentence): compressed bodies, XML sent as
JSON, unknown query parameters of reports and accounts, and the 500 that closed a keep-alive
connection without saying so."""

from __future__ import annotations

import gzip

import pytest
from fastapi.testclient import TestClient

from gateway.api import create_app
from gateway.config.settings import Settings
from tests.auth_helpers import DEFAULT_CLIENT
from tests.conftest import REPO

MAKE_BOOKING = (REPO / "samples/crm-scheduling/01-make-booking-soap.xml").read_bytes()


def test_gzip_body_is_415_with_accept_encoding_identity(client: TestClient) -> None:
    answer = client.post("/bookings", content=gzip.compress(MAKE_BOOKING),
                         headers={"content-type": "application/xml", "content-encoding": "gzip"})
    assert answer.status_code == 415
    assert answer.json()["issue"][0]["details"]["coding"][0]["code"] == "CONTENT_ENCODING_UNSUPPORTED"
    assert answer.headers["accept-encoding"] == "identity"
    assert client.get("/metrics").text.count('outcome="stored"') == 0


def test_identity_encoding_is_taken(client: TestClient) -> None:
    answer = client.post("/bookings", content=MAKE_BOOKING,
                         headers={"content-type": "application/xml", "content-encoding": "identity"})
    assert answer.status_code == 200


@pytest.mark.parametrize(("media", "body"), [
    ("application/json", MAKE_BOOKING),
    ("application/json", b"\n  \xef\xbb\xbf<?xml version='1.0'?><a/>"),
    ("application/xml", b'{"resourceType": "x"}'),
])
def test_body_of_the_other_syntax_is_415(client: TestClient, media: str, body: bytes) -> None:
    answer = client.post("/bookings", content=body, headers={"content-type": media})
    assert answer.status_code == 415, answer.text
    assert answer.json()["issue"][0]["details"]["coding"][0]["code"] == "MEDIA_TYPE_MISMATCH"


@pytest.mark.parametrize("path", [
    "/reports/self-service?unit=SE2321000016-1000&from=2026-01-01&to=2026-01-31&foo=1",
    "/reports/self-service/chart.svg?unit=SE2321000016-1000&from=2026-01-01&to=2026-01-31&foo=1",
    "/accounts?foo=1",
])
def test_unknown_query_parameter_is_400(client: TestClient, path: str) -> None:
    answer = client.get(path)
    assert answer.status_code == 400, answer.text
    assert answer.json()["issue"][0]["details"]["coding"][0]["code"] == "QUERY_PARAMETER_UNKNOWN"
    assert "'foo'" in answer.text


def test_known_report_parameters_still_answer(client: TestClient) -> None:
    answer = client.get("/reports/self-service?unit=SE2321000016-1000&from=2026-01-01&to=2026-01-31&period=week")
    assert answer.status_code == 200, answer.text


def test_unexpected_500_says_connection_close(settings: Settings) -> None:
    app = create_app(settings)

    @app.get("/test-boom")
    def boom() -> None:
        raise RuntimeError("boom")

    with TestClient(app, headers=DEFAULT_CLIENT.headers, raise_server_exceptions=False) as client:
        answer = client.get("/test-boom")
    assert answer.status_code == 500
    assert answer.headers["connection"] == "close"
