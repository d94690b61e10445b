"""FHIR read side: search by identifier, patient, date and status, paging, metadata, 404s."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement

from tests.adapters.inbound.crm_scheduling.messages import cancel_booking, make_booking, timeslot
from tests.gateway.api.test_bookings_api import outcome_code, push

PNR = "http://electronichealth.se/identifier/personnummer"
BOOKING = "https://nordgate.dev/fhir/NamingSystem/crm-scheduling-booking-id"


@pytest.fixture
def booked(client: TestClient) -> TestClient:
    push(client, make_booking(timeslot("A", start="20261201080000", end="20261201083000")))
    push(client, make_booking(timeslot("B", start="20261202080000", end="20261202083000")))
    push(client, make_booking(timeslot("C", start="20261203080000", end="20261203083000", subject="201212121212")))
    push(client, cancel_booking("B"))
    return client


def ids(response: Any) -> list[str]:
    Bundle.model_validate(response.json())
    return sorted(entry["resource"]["identifier"][0]["value"] for entry in response.json()["entry"])


@pytest.mark.parametrize("params,expected", [
    ({"patient:identifier": f"{PNR}|191212121212"}, ["A", "B"]),
    ({"patient:identifier": "201212121212"}, ["C"]),
    ({"identifier": f"{BOOKING}|C"}, ["C"]),
    ({"identifier": "A"}, ["A"]),
    ({"status": "booked"}, ["A", "C"]),
    ({"status": "cancelled,booked"}, ["A", "B", "C"]),
    ({"date": "2026-12-02"}, ["B"]),
    ({"date": "ge2026-12-02"}, ["B", "C"]),
    ({"date": "lt2026-12-02"}, ["A"]),
    ({"date": "le2026-12-02"}, ["A", "B"]),
    ({"date": "gt2026-12-02"}, ["C"]),
    ({"date": "2026-12"}, ["A", "B", "C"]),
    ({"date": "ge2026-12-01T08:00:00+01:00"}, ["A", "B", "C"]),
    ({"date": "gt2026-12-01T07:00:00Z"}, ["B", "C"]),
])
def test_search(booked: TestClient, params: dict[str, str], expected: list[str]) -> None:
    assert ids(booked.get("/fhir/Appointment", params=params)) == expected


def test_conditions_combine_and_1177_level_1_finds_all_of_a_citizens_times(booked: TestClient) -> None:
    response = booked.get("/fhir/Appointment", params=[("patient:identifier", f"{PNR}|191212121212"),
                                                        ("status", "booked"), ("date", "ge2026-12-01")])
    assert ids(response) == ["A"]


def test_paging_with_next_links(booked: TestClient) -> None:
    first = booked.get("/fhir/Appointment", params={"_count": 2}).json()
    assert first["total"] == 3 and len(first["entry"]) == 2
    next_url = next(link["url"] for link in first["link"] if link["relation"] == "next")
    assert next_url.startswith("http://testserver/fhir/Appointment?")
    second = booked.get(next_url.removeprefix("http://testserver")).json()
    assert len(second["entry"]) == 1
    assert not [link for link in second["link"] if link["relation"] == "next"]


@pytest.mark.parametrize("params,code", [
    ({"patient": "191212121212"}, "SEARCH_PARAMETER_INVALID"),
    ({"date": "sa2026-12-01"}, "SEARCH_PARAMETER_INVALID"),
    ({"date": "yesterday"}, "SEARCH_PARAMETER_INVALID"),
    ({"_count": "many"}, "SEARCH_PARAMETER_INVALID"),
    ({"identifier": "|A"}, "SEARCH_PARAMETER_INVALID"),
])
def test_unknown_or_malformed_parameters_are_refused_not_ignored(booked: TestClient, params: dict[str, str],
                                                                  code: str) -> None:
    response = booked.get("/fhir/Appointment", params=params)
    assert response.status_code == 400 and outcome_code(response) == code


def test_reads_that_find_nothing_are_404_outcomes(client: TestClient) -> None:
    assert outcome_code(client.get("/fhir/Appointment/nope")) == "RESOURCE_NOT_FOUND"
    assert client.get("/fhir/Appointment/nope").status_code == 404
    assert outcome_code(client.get("/fhir/Patient/1")) == "RESOURCE_TYPE_UNSUPPORTED"
    assert client.get("/fhir/Encounter").json()["total"] == 0
    assert client.get("/no-such-route").status_code == 404


@pytest.mark.parametrize("accept,release", [(None, "4.0.1"), ("application/fhir+json; fhirVersion=5.0", "5.0.0")])
def test_metadata_tells_the_truth(client: TestClient, accept: str | None, release: str) -> None:
    response = client.get("/fhir/metadata", headers={"Accept": accept} if accept else {})
    statement = response.json()
    assert statement["fhirVersion"] == release
    if release == "4.0.1":
        CapabilityStatement.model_validate(statement)
    served = {resource["type"]: resource for resource in statement["rest"][0]["resource"]}
    assert set(served) == {"Appointment", "AppointmentResponse", "Encounter", "Schedule", "Slot", "ConceptMap"}
    names = {param["name"] for param in served["Appointment"]["searchParam"]}
    assert {"identifier", "patient:identifier", "date", "status", "_count"} <= names
    # every advertised parameter really is accepted
    for name in names - {"_count", "_offset"}:
        value = {"date": "2026-12-01", "status": "booked", "_sort": "-date", "_summary": "count"}.get(name, "x")
        assert client.get("/fhir/Appointment", params={name: value}).status_code == 200
