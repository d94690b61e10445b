"""The 1177 self-service report, on hand-counted bookings and free times pushed through the API.

March 2026 at UNIT, ten booked times (C = citizen may cancel, R = may reschedule, origin):

    M1 C R pas    M2 C R pas    M3 C R 1177    M4 C - 1177    M5 C - open invitation answered on 1177
    M6 C - pas    M7 C - pas    M8 - R pas     M9 - - pas (both false)   M10 - - pas (no flags; 31 March 23:30)

=> 7 cancellable, 4 reschedulable, 3 by the citizen: 0.7, 0.4, 0.3. Not counted: X1 booked and then
cancelled, X2 an unanswered open invitation, X3 another unit's booking, X4 28 February 23:30.
April: A1 C R 1177 (1 April 00:15, which is still 31 March in UTC), A2 C - pas; A3 moved to May by
UpdateBooking (not counted) => 2 booked, 1.0, 0.5, 0.5. Whole range: 12 booked, 9 / 5 / 4.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from gateway.cli import build_app
from gateway.config.settings import Settings
from gateway.primitives.xmlsafe import parse_xml
from tests.adapters.inbound.crm_scheduling.available import available_response, free_slot
from tests.adapters.inbound.crm_scheduling.messages import UNIT, cancel_booking, make_booking, timeslot, update_booking
from tests.gateway.api.test_bookings_api import push

OTHER_UNIT = "SE2321000131-E000000000002"
NURSE = "SE2321000131-P000000000124"
SVG = "{http://www.w3.org/2000/svg}"


def flags(cancel: bool | None, rebook: bool | None) -> str:
    found = ""
    if cancel is not None:
        found += f"<core:cancel_booking_allowed>{str(cancel).lower()}</core:cancel_booking_allowed>"
    if rebook is not None:
        found += f"<core:rebooking_allowed>{str(rebook).lower()}</core:rebooking_allowed>"
    return found


def book(client: TestClient, booking_id: str, day: str, cancel: bool | None, rebook: bool | None,
         source: str = "pas", time: str = "0900") -> None:
    slot = timeslot(booking_id, start=f"{day}{time}00", end=f"{day}{time[:2]}3000" if time[2:] == "00"
                    else f"{day}{time[:2]}4500", extra=flags(cancel, rebook))
    response = push(client, make_booking(slot), source=source)
    assert response.status_code == 200, response.text


@pytest.fixture
def unit(client: TestClient) -> TestClient:
    book(client, "M1", "20260302", True, True)
    book(client, "M2", "20260303", True, True)
    book(client, "M3", "20260304", True, True, source="1177")
    book(client, "M4", "20260305", True, None, source="1177")
    invitation = timeslot("M5", start=None, end=None, invitation=True, extra=flags(True, None))
    assert push(client, make_booking(invitation)).status_code == 200
    assert push(client, make_booking(timeslot("M5", start="20260306100000", end="20260306103000")),
                source="1177").status_code == 200
    book(client, "M6", "20260309", True, False)
    book(client, "M7", "20260310", True, None)
    book(client, "M8", "20260311", False, True)
    book(client, "M9", "20260312", False, False)
    book(client, "M10", "20260331", None, None, time="2330")
    book(client, "X1", "20260316", True, True, source="1177")
    assert push(client, cancel_booking("X1")).status_code == 200
    x2 = timeslot("X2", start=None, end=None, invitation=True, extra=flags(True, True))
    assert push(client, make_booking(x2)).status_code == 200
    x3 = make_booking(timeslot("X3", start="20260317090000", end="20260317093000", extra=flags(True, True)))
    assert push(client, x3.replace(UNIT.encode(), OTHER_UNIT.encode()), source="1177").status_code == 200
    book(client, "X4", "20260228", True, True, time="2330")
    book(client, "A1", "20260401", True, True, source="1177", time="0015")
    book(client, "A2", "20260402", True, False)
    book(client, "A3", "20260403", True, True)
    assert push(client, update_booking(timeslot("A3", start="20260505090000", end="20260505093000"))).status_code == 200
    # Free times: the latest after 30 April is 22 June, 53 days (7.6 weeks) ahead.
    assert push(client, available_response(free_slot("20260504090000", "20260504093000"),
                                           free_slot("20260622090000", "20260622093000"),
                                           free_slot("20260801090000", "20260801093000", unit=OTHER_UNIT),
                                           free_slot("20260420090000", "20260420093000"))).status_code == 200
    return client


def report(client: TestClient, **extra: str) -> dict[str, Any]:
    response = client.get("/reports/self-service", params={"unit": UNIT, "from": "2026-03-01", "to": "2026-04-30",
                                                           **extra})
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


def shares(row: dict[str, Any]) -> tuple[Any, ...]:
    return (row["booked"], row["cancellable"], row["reschedulable"], row["self_booked"],
            row["share_cancellable"], row["share_reschedulable"], row["share_self_booked"])


def test_shares_per_month_are_the_hand_counted_ones(unit: TestClient) -> None:
    data = report(unit)
    march, april = data["periods"]
    assert (march["period"], march["from"], march["to"]) == ("2026-03", "2026-03-01", "2026-03-31")
    assert shares(march) == (10, 7, 4, 3, 0.7, 0.4, 0.3)
    assert march["self_booked_by_origin"] == {"1177": 2, "open-invitation": 1}
    assert shares(april) == (2, 2, 1, 1, 1.0, 0.5, 0.5)
    assert shares(data["total"]) == (12, 9, 5, 4, 0.75, round(5 / 12, 4), round(4 / 12, 4))
    assert data["goals"] == {"all_cancellable": False, "reschedulable_share_rising": True,
                             "self_booked_share_rising": True, "free_slots_eight_weeks_ahead": False}


def test_free_slot_horizon_from_the_end_of_the_range(unit: TestClient) -> None:
    horizon = report(unit)["free_slot_horizon"]
    assert horizon == {"reference_date": "2026-04-30", "last_free_slot_start": "2026-06-22T09:00:00+02:00",
                       "days": 53, "weeks": 7.6, "goal_weeks": 8, "met": False}
    # The nurse publishes 25 June: 56 days, eight weeks, the goal is met.
    assert push(unit, available_response(free_slot("20260625100000", "20260625103000",
                                                   performer=NURSE))).status_code == 200
    horizon = report(unit)["free_slot_horizon"]
    assert (horizon["days"], horizon["weeks"], horizon["met"]) == (56, 8.0, True)


def test_withdrawn_free_times_do_not_count(unit: TestClient) -> None:
    # The doctor's answer for 4 May to 22 June no longer lists 22 June 09:00, only 22 June 08:00.
    assert push(unit, available_response(free_slot("20260504090000", "20260504093000"),
                                         free_slot("20260601080000", "20260601083000"))).status_code == 200
    horizon = report(unit)["free_slot_horizon"]
    assert (horizon["last_free_slot_start"], horizon["days"]) == ("2026-06-22T09:00:00+02:00", 53)
    assert push(unit, available_response(free_slot("20260504090000", "20260504093000"),
                                         free_slot("20260622080000", "20260622083000"))).status_code == 200
    assert report(unit)["free_slot_horizon"]["last_free_slot_start"] == "2026-06-22T08:00:00+02:00"


def test_weekly_periods_add_up(unit: TestClient) -> None:
    data = report(unit, period="week")
    labels = [row["period"] for row in data["periods"]]
    assert labels[0] == "2026-W09" and labels[-1] == "2026-W18" and len(labels) == 10
    assert (data["periods"][0]["from"], data["periods"][0]["to"]) == ("2026-03-01", "2026-03-01")
    assert sum(row["booked"] for row in data["periods"]) == 12
    week_10 = next(row for row in data["periods"] if row["period"] == "2026-W10")  # 2-8 March: M1-M5
    assert shares(week_10) == (5, 5, 3, 3, 1.0, 0.6, 0.6)


def test_a_period_without_bookings_has_no_shares(unit: TestClient) -> None:
    data = unit.get("/reports/self-service", params={"unit": UNIT, "from": "2026-01-01", "to": "2026-01-31"}).json()
    assert shares(data["periods"][0]) == (0, 0, 0, 0, None, None, None)
    assert data["goals"]["reschedulable_share_rising"] is None


@pytest.mark.parametrize("params", [
    {"unit": "E000000000001", "from": "2026-03-01", "to": "2026-04-30"},
    {"unit": UNIT, "from": "2026-03-01", "to": "2026-02-01"},
    {"unit": UNIT, "from": "2026-3-1", "to": "2026-04-30"},
    {"unit": UNIT, "from": "2026-03-01", "to": "2026-04-30", "period": "year"},
    {"unit": UNIT, "from": "2020-01-01", "to": "2026-04-30"},
])
def test_bad_parameters_are_400(client: TestClient, params: dict[str, str]) -> None:
    response = client.get("/reports/self-service", params=params)
    assert response.status_code == 400
    assert response.json()["issue"][0]["details"]["coding"][0]["code"] == "REPORT_PARAMETER_INVALID"


def _texts(svg: bytes) -> list[str]:
    root = parse_xml(svg)
    assert root.tag == f"{SVG}svg"
    return [element.text or "" for element in root.iter(f"{SVG}text")]


def test_chart_is_an_svg_with_the_labels(unit: TestClient) -> None:
    response = unit.get("/reports/self-service/chart.svg", params={"unit": UNIT, "from": "2026-03-01",
                                                                   "to": "2026-04-30"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("image/svg+xml")
    texts = _texts(response.content)
    for expected in ("2026-03", "2026-04", "n = 10", "n = 2", "70 %", "40 %", "30 %", "100 %", "50 %",
                     "Citizen may cancel", "Citizen may reschedule"):
        assert expected in texts, expected
    assert any(text.startswith("Goal, level 1") for text in texts)
    assert any("7.6 weeks" in text and "NOT met" in text for text in texts)


def database_args(settings: Settings) -> tuple[list[str], dict[str, str]]:
    """``--db FILE`` on SQLite; on PostgreSQL the command reads NORDGATE_DATABASE_URL like the gateway."""
    if settings.database.engine == "sqlite":
        return ["--db", settings.sqlite_path], {}
    return [], {"NORDGATE_DATABASE_URL": settings.database_url}


def test_cli_twin_gives_the_same_json_and_chart(unit: TestClient, settings: Settings, tmp_path: Path) -> None:
    chart = tmp_path / "chart.svg"
    args, env = database_args(settings)
    result = CliRunner().invoke(build_app(), [
        "report", "self-service", "--unit", UNIT, "--from", "2026-03-01", "--to", "2026-04-30",
        *args, "--chart", str(chart)], env=env)
    assert result.exit_code == 0, result.output
    assert orjson.loads(result.stdout) == report(unit)
    assert chart.read_bytes() == unit.get("/reports/self-service/chart.svg", params={
        "unit": UNIT, "from": "2026-03-01", "to": "2026-04-30"}).content


def test_cli_refuses_bad_parameters(settings: Settings, client: TestClient) -> None:
    args, env = database_args(settings)
    result = CliRunner().invoke(build_app(), ["report", "self-service", "--unit", "nope", "--from", "2026-03-01",
                                              "--to", "2026-04-30", *args], env=env)
    assert result.exit_code == 2 and "REPORT_PARAMETER_INVALID" in result.output
