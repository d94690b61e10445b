"""Elvis messages over HTTP: POST /bookings takes them; FHIR search finds sessions and visits by patient."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from fhir.resources.bundle import Bundle as BundleR5
from fhir.resources.R4B.bundle import Bundle as BundleR4

from gateway.groups.elvis_records import group_session_id
from tests.adapters.inbound.elvis.messages import ELSA, NOAH, UNIT, attendance, session_booking, telephone
from tests.gateway.api.test_bookings_api import outcome_code, push

PNR = "http://electronichealth.se/identifier/personnummer"
SESSION = group_session_id(UNIT, "S-1")


def found(response: Any) -> list[tuple[str, str]]:
    assert response.status_code == 200, response.text
    BundleR4.model_validate(response.json())
    return sorted((entry["resource"]["resourceType"], entry["resource"]["id"]) for entry in response.json()["entry"])


def test_group_session_and_visits_are_found_by_patient(client: TestClient) -> None:
    assert push(client, session_booking()).status_code == 200
    answer = push(client, attendance((ELSA, True), (NOAH, False)))
    assert answer.status_code == 200
    BundleR4.model_validate(answer.json())
    [encounter_id] = [entry["resource"]["id"] for entry in answer.json()["entry"]
                      if entry["resource"]["resourceType"] == "Encounter"]
    for patient in (ELSA, NOAH):
        assert found(client.get("/fhir/Appointment", params={"patient:identifier": f"{PNR}|{patient}"})) == [
            ("Appointment", SESSION)]
    assert found(client.get("/fhir/Encounter", params={"patient:identifier": f"{PNR}|{ELSA}"})) == [
        ("Encounter", encounter_id)]
    assert found(client.get("/fhir/Encounter", params={"patient:identifier": f"{PNR}|{NOAH}"})) == []
    assert found(client.get("/fhir/Encounter", params={"appointment": f"Appointment/{SESSION}"})) == [
        ("Encounter", encounter_id)]
    assert found(client.get("/fhir/Appointment", params={"status": "fulfilled"})) == [("Appointment", SESSION)]


def test_r5_answer_and_refusals_as_operation_outcomes(client: TestClient) -> None:
    answer = push(client, session_booking(), accept="application/fhir+json; fhirVersion=5.0")
    BundleR5.model_validate(answer.json())
    assert answer.json()["entry"][0]["resource"]["subject"]["type"] == "Group"
    over = push(client, session_booking(capacity=2, session="S-2"))
    assert over.status_code == 409 and outcome_code(over) == "GROUP_CAPACITY_EXCEEDED"
    errand = push(client, telephone(kind="prescription-renewal"))
    assert errand.status_code == 422 and outcome_code(errand) == "NOT_A_TELEPHONE_CONTACT"
    unknown = push(client, attendance((ELSA, True), session="S-404"))
    assert unknown.status_code == 422 and outcome_code(unknown) == "SESSION_UNKNOWN"
