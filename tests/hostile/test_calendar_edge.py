"""Dates at the edge of the calendar (issue 13, point 3) and the date spellings a search refuses (point 6).

Before: a crm:scheduling time ``00010101000000``, a group event at ``0001-01-01T00:00:00+14:00``, a
report ``from=0001-01-01`` or an audit ``to=9999-12-31`` raised ``OverflowError`` past the parsers and
was answered 500 (``nordgate map`` printed a traceback). Now each is refused 422 ``DATE_OUT_OF_RANGE``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from gateway.cli import build_app

from .strategies import SAMPLES

MAKE_BOOKING = (SAMPLES / "crm-scheduling" / "02-make-booking-bare-default-namespace.xml").read_bytes()
EVENT = json.loads((SAMPLES / "group-appointments" / "01-created.json").read_text(encoding="utf-8"))
UNIT = "SE2321000131-E000000000002"


def _booking_at(start: bytes, end: bytes) -> bytes:
    return MAKE_BOOKING.replace(b"20260616140000", start).replace(b"20260616142000", end)


EDGE_BOOKINGS = {
    "first-day": _booking_at(b"00010101000000", b"00010101002000"),
    "last-day": _booking_at(b"99991231230000", b"99991231234000"),
}


def _code(response: object) -> tuple[int, str | None]:
    status = response.status_code  # type: ignore[attr-defined]
    try:
        body = response.json()  # type: ignore[attr-defined]
        return status, body["issue"][0]["details"]["coding"][0]["code"]
    except (ValueError, KeyError, TypeError):
        return status, None


@pytest.mark.parametrize("name", sorted(EDGE_BOOKINGS))
def test_a_booking_time_at_the_calendar_edge_is_refused_422_on_every_intake(client: TestClient, name: str) -> None:
    body = EDGE_BOOKINGS[name]
    xml = {"Content-Type": "application/xml"}
    assert _code(client.post("/bookings", content=body, headers=xml)) == (422, "DATE_OUT_OF_RANGE")
    assert _code(client.post("/preview", content=body, headers=xml)) == (422, "DATE_OUT_OF_RANGE")
    session = {"message": body.decode("utf-8")}
    assert _code(client.post("/preview/session", json=session)) == (422, "DATE_OUT_OF_RANGE")


def test_nordgate_map_refuses_a_calendar_edge_time_without_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "edge.xml"
    path.write_bytes(EDGE_BOOKINGS["first-day"])
    result = CliRunner().invoke(build_app(), ["map", str(path)])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code != 0
    assert "DATE_OUT_OF_RANGE" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(("start", "end"), [
    ("0001-01-01T00:00:00+14:00", "0001-01-01T01:00:00+14:00"),
    ("9999-12-31T21:00:00-14:00", "9999-12-31T22:00:00-14:00"),
])
def test_a_group_event_at_the_calendar_edge_is_refused_422(client: TestClient, start: str, end: str) -> None:
    event = {**EVENT, "start": start, "end": end}
    response = client.post("/bookings", json=event)
    assert _code(response) == (422, "DATE_OUT_OF_RANGE"), response.text


@pytest.mark.parametrize("path", ["/reports/self-service", "/reports/self-service/chart.svg"])
@pytest.mark.parametrize(("first", "last", "period"), [
    ("0001-01-01", "0001-02-01", "month"),
    ("9999-12-01", "9999-12-31", "month"),
    ("9999-12-01", "9999-12-31", "week"),
])
def test_a_report_at_the_calendar_edge_is_refused_422(client: TestClient, path: str, first: str, last: str,
                                                       period: str) -> None:
    response = client.get(path, params={"unit": UNIT, "from": first, "to": last, "period": period})
    assert _code(response) == (422, "DATE_OUT_OF_RANGE"), response.text


def test_a_report_just_inside_the_calendar_edge_is_answered(client: TestClient) -> None:
    for params in ({"from": "9999-12-01", "to": "9999-12-30", "period": "week"},
                   {"from": "9999-12-01", "to": "9999-12-30", "period": "month"},
                   {"from": "0001-01-02", "to": "0001-01-31", "period": "month"}):
        response = client.get("/reports/self-service", params={"unit": UNIT, **params})
        assert response.status_code == 200, response.text


@pytest.mark.parametrize("query", [
    "/audit?to=9999-12-31", "/audit/export?to=9999-12-31", "/audit?from=0001-01-01T00:00:00%2B14:00",
    "/audit?from=0001-01-01", "/audit?to=9999-12-31T23:00:00-14:00",
])
def test_an_audit_query_at_the_calendar_edge_is_refused_422(client: TestClient, query: str) -> None:
    response = client.get(query)
    assert _code(response) == (422, "DATE_OUT_OF_RANGE"), response.text


@pytest.mark.parametrize("value", ["２０２６", "2026-W01", "20260101", "2026-1-1", "2026-01-01T10", "ge２０２６-01-01"])
def test_search_refuses_dates_not_spelled_as_fhir_dates(client: TestClient, value: str) -> None:
    response = client.get("/fhir/Appointment", params={"date": value})
    assert _code(response) == (400, "SEARCH_PARAMETER_INVALID"), response.text


@pytest.mark.parametrize("value", ["0001", "9999", "9999-12", "9999-12-31", "0001-01-01T00:00:00+14:00",
                                   "ge9999-12-31T23:59:59-14:00"])
def test_search_dates_at_the_calendar_edge_stay_refused_400(client: TestClient, value: str) -> None:
    """The search refused these already (its own code, kept): the strict spelling check comes first."""
    response = client.get("/fhir/Appointment", params={"date": value})
    assert _code(response) == (400, "SEARCH_PARAMETER_INVALID"), response.text


@pytest.mark.parametrize("value", ["2026", "2026-01", "2026-01-01", "2026-01-01T10:00:00+01:00", "ge0002-01-01"])
def test_search_still_takes_fhir_dates(client: TestClient, value: str) -> None:
    assert client.get("/fhir/Appointment", params={"date": value}).status_code == 200


SETTLEMENT = json.loads((SAMPLES / "settlements" / "kommunalt-fellesoppgjor-lege.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("value", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
def test_a_settlement_bill_at_the_calendar_edge_is_a_defect_of_that_bill(client: TestClient, value: str) -> None:
    """Before: the bill's dateTime reached the BKM composer, whose turn into Norwegian time raised
    OverflowError (500). Now the bill is defective (``DATE_OUT_OF_RANGE``), as a bill with an unreal
    time is: the batch is taken and its verdicts say which bill and why."""
    batch = json.loads(json.dumps(SETTLEMENT))
    batch["bills"][0]["dateTime"] = value
    response = client.post("/settlements", content=json.dumps(batch).encode(),
                           headers={"Content-Type": "application/json"})
    assert response.status_code < 500, response.text
    answer = response.text if response.status_code >= 400 else client.get(response.json()["status_url"]).text
    assert "DATE_OUT_OF_RANGE" in answer, answer[:500]
