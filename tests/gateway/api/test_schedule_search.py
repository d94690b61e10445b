"""Schedules and Slots over the FHIR API: search by unit, performer, schedule, start, status."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement

from gateway.schedule.service import schedule_id
from tests.adapters.inbound.crm_scheduling.available import PERFORMER, available_response, free_slot
from tests.adapters.inbound.crm_scheduling.messages import UNIT
from tests.gateway.api.test_bookings_api import outcome_code, push

HSA = "urn:oid:1.2.752.29.4.19"
OTHER_UNIT = "SE2321000131-E000000000002"
NURSE = "SE2321000131-P000000000124"


@pytest.fixture
def published(client: TestClient) -> TestClient:
    assert push(client, available_response(
        free_slot("20260302083000", "20260302090000"),
        free_slot("20260302090000", "20260302093000"),
        free_slot("20260310083000", "20260310090000", performer=NURSE),
        free_slot("20260302083000", "20260302090000", unit=OTHER_UNIT))).status_code == 200
    # Later: 2 March 08:30 of the doctor is gone (busy-unavailable).
    assert push(client, available_response(free_slot("20260302090000", "20260302093000"))).status_code == 200
    return client


def starts(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    Bundle.model_validate(response.json())
    return sorted(entry["resource"]["start"] for entry in response.json()["entry"])


@pytest.mark.parametrize(("params", "expected"), [
    ([("schedule.actor:identifier", f"{HSA}|{UNIT}"), ("start", "ge2026-03-02"), ("status", "free")],
     ["2026-03-02T09:00:00+01:00", "2026-03-10T08:30:00+01:00"]),
    # The doctor works at both units: the performer finds both schedules' slots.
    ([("schedule.actor:identifier", PERFORMER)],
     ["2026-03-02T08:30:00+01:00", "2026-03-02T08:30:00+01:00", "2026-03-02T09:00:00+01:00"]),
    ([("facility", OTHER_UNIT)], ["2026-03-02T08:30:00+01:00"]),
    ([("facility", f"{HSA}|{UNIT}"), ("status", "busy-unavailable")], ["2026-03-02T08:30:00+01:00"]),
    ([("facility", UNIT), ("start", "ge2026-03-03")], ["2026-03-10T08:30:00+01:00"]),
    ([("facility", UNIT), ("start", "2026-03-02"), ("status", "free,busy-unavailable")],
     ["2026-03-02T08:30:00+01:00", "2026-03-02T09:00:00+01:00"]),
    ([("schedule", f"Schedule/{schedule_id(UNIT, NURSE, None)}")], ["2026-03-10T08:30:00+01:00"]),
])
def test_slot_search(published: TestClient, params: list[tuple[str, str]], expected: list[str]) -> None:
    assert starts(published.get("/fhir/Slot", params=params)) == expected


def test_schedule_search_by_actor(published: TestClient) -> None:
    unit = published.get("/fhir/Schedule", params={"actor:identifier": f"{HSA}|{UNIT}"}).json()
    assert {entry["resource"]["id"] for entry in unit["entry"]} == {schedule_id(UNIT, PERFORMER, None),
                                                                    schedule_id(UNIT, NURSE, None)}
    nurse = published.get("/fhir/Schedule", params={"actor:identifier": NURSE}).json()
    assert [entry["resource"]["id"] for entry in nurse["entry"]] == [schedule_id(UNIT, NURSE, None)]


def test_read_r5_and_unknown_parameters(published: TestClient) -> None:
    read = published.get(f"/fhir/Schedule/{schedule_id(UNIT, NURSE, None)}", params={"_fhirVersion": "5.0"})
    assert read.status_code == 200 and "name" not in read.json()  # no names were sent
    assert "concept" in read.json()["serviceType"][0]
    refused = published.get("/fhir/Slot", params={"patient:identifier": "191212121212"})
    assert refused.status_code == 400 and outcome_code(refused) == "SEARCH_PARAMETER_INVALID"
    assert published.get("/fhir/SlotDayIndex/x").status_code == 404


def test_capability_statement_lists_schedule_and_slot(client: TestClient) -> None:
    statement = client.get("/fhir/metadata").json()
    CapabilityStatement.model_validate(statement)
    params = {resource["type"]: {param["name"] for param in resource["searchParam"]}
              for resource in statement["rest"][0]["resource"]}
    assert {"actor:identifier", "facility"} <= params["Schedule"]
    assert {"schedule", "schedule.actor:identifier", "facility", "start", "status"} <= params["Slot"]
    # every advertised parameter really is accepted
    for resource_type in ("Schedule", "Slot"):
        for name in params[resource_type] - {"_count", "_offset"}:
            value = {"start": "2026-03-02", "status": "free", "schedule": "Schedule/x", "_sort": "-_lastUpdated",
                     "_summary": "count"}.get(name, "x")
            assert client.get(f"/fhir/{resource_type}", params={name: value}).status_code == 200, name
