"""/healthz, /readyz, /metrics, the request id from push to delivery, one log line per request."""

from __future__ import annotations

import io
import json
import logging
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gateway.api import create_app
from gateway.config.settings import load_settings
from gateway.observability.logs import configure_logging
from tests.adapters.inbound.crm_scheduling.messages import make_booking, timeslot
from tests.auth_helpers import DEFAULT_CLIENT
from tests.database import database_url_for
from tests.gateway.settlement.service.helpers import AR_DATA, CA_PEM, ENTERPRISE_P12, PASSWORD_FILE, batch, to_bytes

XML = {"content-type": "application/xml"}
JSON = {"content-type": "application/json"}


def metric(text: str, name: str, **labels: str) -> float | None:
    """The value of one sample of the Prometheus text exposition, or None."""
    wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    pattern = re.compile(rf"^{re.escape(name)}(\{{(.*)\}})? (\S+)$")
    for line in text.splitlines():
        found = pattern.match(line)
        if found and ",".join(sorted((found.group(2) or "").split(","))).strip(",") == wanted:
            return float(found.group(3))
    return None


def settlement_app(tmp_path: Path, **overrides: Any) -> TestClient:
    settings = load_settings(database_url=database_url_for(tmp_path), ar_data_dir=AR_DATA, signing_trust_anchors=CA_PEM,
                             enterprise_p12=ENTERPRISE_P12, enterprise_password_file=PASSWORD_FILE,
                             drop_dir=tmp_path / "drop", outbox_poll_s=0.05, **overrides)
    return TestClient(create_app(settings), headers=DEFAULT_CLIENT.headers)


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "checks": {"database": "ok", "address_register": "not configured"}}


def test_probes_need_no_credentials(tmp_path: Path) -> None:
    settings = load_settings(database_url=database_url_for(tmp_path))
    with TestClient(create_app(settings)) as anonymous:
        assert anonymous.get("/healthz").status_code == 200
        assert anonymous.get("/readyz").status_code == 200
        assert anonymous.get("/metrics").status_code == 200


def test_not_ready_names_what_is_missing(tmp_path: Path) -> None:
    # An address register nobody answers at (a closed loopback port), and a database that is gone.
    settings = load_settings(database_url=database_url_for(tmp_path), ar_endpoint="http://127.0.0.1:9/AR",
                             ar_timeout_s=0.5)
    with TestClient(create_app(settings), headers=DEFAULT_CLIENT.headers) as client:
        runtime = client.app.state.runtime  # type: ignore[attr-defined]
        runtime.ops.probe.ping = _refuse
        answer = client.get("/readyz")
    assert answer.status_code == 503
    outcome = answer.json()
    assert outcome["resourceType"] == "OperationOutcome"
    codes = [issue["details"]["coding"][0]["code"] for issue in outcome["issue"]]
    assert codes == ["NOT_READY", "DATABASE_UNREACHABLE", "AR_UNREACHABLE"]
    assert "database" in outcome["issue"][0]["details"]["text"]


def _refuse() -> None:
    raise OSError("connection refused")


def test_request_id_is_kept_or_made_and_returned(client: TestClient) -> None:
    kept = client.post("/bookings", content=make_booking(), headers={**XML, "x-request-id": "pas-4711"})
    assert kept.status_code == 200 and kept.headers["x-request-id"] == "pas-4711"
    replaced = client.get("/fhir/metadata", headers={"x-request-id": "no spaces allowed"})
    assert re.fullmatch(r"[0-9a-f]{32}", replaced.headers["x-request-id"])
    assert client.get("/nowhere").headers["x-request-id"]


def test_metrics_count_pushes_refusals_and_routes(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    body = make_booking(timeslot("M-1"))
    with caplog.at_level(logging.INFO, logger="nordgate.http"):
        first = client.post("/bookings", content=body, headers=XML)
        client.post("/bookings", content=body, headers=XML)
        client.post("/bookings", content=make_booking(timeslot("M-2", start="20260329023000",
                                                               end="20260329030000")), headers=XML)
        client.get(f"/fhir/Appointment/{first.json()['entry'][0]['resource']['id']}")
    text = client.get("/metrics").text
    assert metric(text, "nordgate_pushes_total", format="crm-scheduling", outcome="stored") == 1
    assert metric(text, "nordgate_pushes_total", format="crm-scheduling", outcome="replayed") == 1
    assert metric(text, "nordgate_pushes_total", format="crm-scheduling", outcome="refused") == 1
    assert metric(text, "nordgate_mapping_errors_total", code="TIME_NONEXISTENT") == 1
    assert metric(text, "nordgate_http_request_duration_seconds_count", method="GET",
                  route="/fhir/{resource_type}/{resource_id}", status="200") == 1
    assert "Appointment/" not in text  # raw paths never become labels
    assert metric(text, "nordgate_outbox_depth") == 0 and metric(text, "nordgate_database_up") == 1
    lines = [record for record in caplog.records if record.name == "nordgate.http"]
    assert [(r.route, r.status) for r in lines][:3] == [("/bookings", 200)] * 2 + [("/bookings", 422)]  # type: ignore[attr-defined]
    assert all(getattr(r, "request_id", None) is None or r.request_id for r in lines)


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """The gateway's JSON log handler on a buffer (as ``nordgate serve`` installs it on stderr)."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    stream = io.StringIO()
    configure_logging("json", "info", stream=stream)
    yield stream
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)


def test_request_id_follows_a_settlement_to_its_delivery(tmp_path: Path, json_log: io.StringIO) -> None:
    with settlement_app(tmp_path) as client:
        accepted = client.post("/settlements", content=to_bytes(batch()), headers={**JSON, "x-request-id": "helfo-1"})
        assert accepted.status_code == 202 and accepted.headers["x-request-id"] == "helfo-1"
        deadline = time.monotonic() + 15
        while client.get(f"/settlements/{accepted.json()['id']}").json()["state"] != "sent":
            assert time.monotonic() < deadline, "not delivered in time"
            time.sleep(0.05)
        text = client.get("/metrics").text
    lines = [json.loads(line) for line in json_log.getvalue().splitlines()]
    delivered = [line for line in lines if line["logger"] == "nordgate.outbox" and "delivered" in line["message"]]
    assert [(line["msg_id"], line["request_id"]) for line in delivered] == [(accepted.json()["msgId"], "helfo-1")]
    posted = [line for line in lines if line["logger"] == "nordgate.http" and line["route"] == "/settlements"]
    assert [(line["request_id"], line["status"]) for line in posted] == [("helfo-1", 202)]
    assert metric(text, "nordgate_deliveries_total", outcome="sent") == 1
    assert metric(text, "nordgate_signing_seconds_count", kind="enterprise") == 1
    assert (metric(text, "nordgate_ar_cache_misses_total") or 0) >= 1
    assert metric(text, "nordgate_outbox_depth") == 0


def test_a_request_refused_before_routing_is_labelled_with_its_route(client: TestClient) -> None:
    refused = client.get("/fhir/Appointment/some-id", headers={"authorization": "Bearer wrong"})
    assert refused.status_code == 401 and refused.headers["x-request-id"]
    text = client.get("/metrics").text
    assert metric(text, "nordgate_http_request_duration_seconds_count", method="GET",
                  route="/fhir/{resource_type}/{resource_id}", status="401") == 1
