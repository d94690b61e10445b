"""Issue 11's acceptance: a new inbound format is an adapter module and one registry entry.

The toy format (tests/gateway/ingest/toy_format.py) is added to the table of inbound formats
(``gateway.bootstrap.inbound.INBOUND_FORMATS``) and nothing else: POST /bookings stores it, the
metrics count it under its own name, the preview shows and traces it, and ``nordgate map`` maps it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from gateway.api import create_app
from gateway.bootstrap import inbound as inbound_table
from gateway.cli import build_app
from gateway.config.settings import Settings, load_settings
from tests.auth_helpers import DEFAULT_CLIENT
from tests.database import database_url_for
from tests.gateway.ingest.toy_format import MEDIA_TYPE, TOY_FORMAT, toy_message


@pytest.fixture(autouse=True)
def _toy_registered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(inbound_table, "INBOUND_FORMATS", (*inbound_table.INBOUND_FORMATS, TOY_FORMAT))


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings: Settings = load_settings(database_url=database_url_for(tmp_path),
                                       public_base_url="http://testserver/fhir")
    with TestClient(create_app(settings), headers=DEFAULT_CLIENT.headers) as test_client:
        yield test_client


def test_post_bookings_stores_a_toy_booking_and_the_metrics_name_its_format(client: TestClient) -> None:
    answer = client.post("/bookings", content=orjson.dumps(toy_message("TOY-1")),
                         headers={"content-type": MEDIA_TYPE})
    assert answer.status_code == 200, answer.text
    [entry] = answer.json()["entry"]
    assert entry["response"]["status"] == "201 Created"
    appointment = entry["resource"]
    assert appointment["resourceType"] == "Appointment"
    assert appointment["status"] == "booked"
    read = client.get(f"/fhir/Appointment/{appointment['id']}")
    assert read.status_code == 200
    assert read.json()["start"] == appointment["start"]

    refused = client.post("/bookings", content=b'{"toyBooking": {"unit": 1}}', headers={"content-type": MEDIA_TYPE})
    assert refused.status_code == 422
    metrics = client.get("/metrics").text
    assert 'nordgate_pushes_total{format="toy-booking",outcome="stored"} 1.0' in metrics
    assert 'nordgate_mapping_errors_total{code="ELEMENT_MISSING"} 1.0' in metrics


def test_the_preview_shows_and_traces_a_toy_booking(client: TestClient) -> None:
    answer = client.post("/preview", content=orjson.dumps(toy_message("TOY-2")), headers={"content-type": MEDIA_TYPE})
    assert answer.status_code == 200, answer.text
    preview = answer.json()
    assert preview["format"] == "toy-booking"
    assert [event["event"] for event in preview["events"]] == ["MakeBooking"]
    [entry] = preview["bundle"]["entry"]
    assert entry["resource"]["resourceType"] == "Appointment"
    sources = {item["field"]: item.get("source") for item in preview["trace"]}
    assert sources["booking_id"] == "/toyBooking/bookingId"


def test_nordgate_map_maps_a_toy_booking(tmp_path: Path) -> None:
    message = tmp_path / "toy.json"
    message.write_bytes(orjson.dumps(toy_message("TOY-3")))
    result = CliRunner().invoke(build_app(), ["map", str(message)])
    assert result.exit_code == 0, result.output
    bundle = orjson.loads(result.stdout)
    assert [entry["resource"]["resourceType"] for entry in bundle["entry"]] == ["Appointment"]
