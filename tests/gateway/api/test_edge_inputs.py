"""Inputs that used to answer 500 (found while writing the OpenAPI contract test): now 4xx OperationOutcomes."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.gateway.api.test_bookings_api import outcome_code


@pytest.mark.parametrize("path", [
    "/fhir/Appointment/x/_history/99999999999999999999",  # over SQLite's 64-bit INTEGER
    "/fhir/Appointment/x/_history/²",  # a digit to str.isdigit(), not to int()
])
def test_vread_of_a_version_that_cannot_exist_is_404(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404 and outcome_code(response) == "RESOURCE_VERSION_NOT_FOUND"


@pytest.mark.parametrize("url", [
    "/fhir/Appointment?_count=²",
    "/fhir/Appointment?_offset=²",
    "/fhir/ConceptMap?_count=²",
    "/fhir/Appointment?date=",
    "/fhir/Appointment?date=9999-12-31",  # the day after does not exist
    "/fhir/Appointment?date=le9999-12-31T23:59:59",
    "/fhir/Appointment?date=0001-01-01",  # before year 1 in UTC
    "/fhir/Slot?start=ge9999-12-31",
])
def test_search_values_out_of_range_are_400(client: TestClient, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 400 and outcome_code(response) == "SEARCH_PARAMETER_INVALID"


def test_a_huge_count_is_clamped_not_parsed(client: TestClient) -> None:
    assert client.get("/fhir/Appointment", params={"_count": "9" * 5000}).status_code == 200
