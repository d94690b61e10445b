"""Hostile XML against a real server on loopback: each refused with a 4xx OperationOutcome within a
second, and the server keeps serving."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.adapters.inbound.crm_scheduling.messages import make_booking
from tests.auth_helpers import DEFAULT_CLIENT
from tests.gateway.primitives.test_xmlsafe import BILLION_LAUGHS, EXTERNAL_DTD, EXTERNAL_ENTITY

HOSTILE = {
    "billion-laughs": (BILLION_LAUGHS, 400, "XML_DTD_FORBIDDEN"),
    "external-entity": (EXTERNAL_ENTITY, 400, "XML_DTD_FORBIDDEN"),
    "external-dtd": (EXTERNAL_DTD, 400, "XML_DTD_FORBIDDEN"),
    "50-mb-body": (b"<a>" + b"x" * (50 * 1024 * 1024) + b"</a>", 413, "PAYLOAD_TOO_LARGE"),
    "100000-deep": (b"<a>" * 100_000 + b"</a>" * 100_000, 400, "XML_TOO_DEEP"),
}


@pytest.mark.slow
def test_hostile_xml_is_refused_fast_and_the_server_keeps_serving(live_url: str) -> None:
    with httpx.Client(base_url=live_url, timeout=10, headers=DEFAULT_CLIENT.headers) as http:
        for name, (body, status, code) in HOSTILE.items():
            started = time.monotonic()
            response = http.post("/bookings", content=body, headers={"Content-Type": "application/xml"})
            elapsed = time.monotonic() - started
            assert response.status_code == status, name
            outcome = response.json()
            assert outcome["resourceType"] == "OperationOutcome", name
            assert outcome["issue"][0]["details"]["coding"][0]["code"] == code, name
            assert elapsed < 1.0, f"{name} took {elapsed:.2f} s"
        healthy = http.post("/bookings", content=make_booking(), headers={"Content-Type": "application/xml"})
        assert healthy.status_code == 200
        assert http.get("/healthz").json() == {"status": "ok"}


@pytest.mark.slow
def test_a_chunked_oversize_body_is_cut_off(live_url: str) -> None:
    def chunks():  # type: ignore[no-untyped-def]
        for _ in range(60):
            yield b"x" * (1024 * 1024)

    with httpx.Client(base_url=live_url, timeout=10, headers=DEFAULT_CLIENT.headers) as http:
        try:
            response = http.post("/bookings", content=chunks(), headers={"Content-Type": "application/xml"})
        except httpx.TransportError:
            pass  # the server may close the connection while the client is still sending: also a refusal
        else:
            assert response.status_code == 413
        assert http.get("/healthz").status_code == 200
