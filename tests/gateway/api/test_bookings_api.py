"""POST /bookings: FHIR Bundle answers, idempotency, versioning, invitations, OperationOutcome errors."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from fhir.resources.bundle import Bundle as BundleR5
from fhir.resources.R4B.bundle import Bundle as BundleR4
from fhir.resources.R4B.operationoutcome import OperationOutcome

from tests.adapters.inbound.crm_scheduling.messages import (
    cancel_booking,
    make_booking,
    timeslot,
    update_booking,
)

XML = {"Content-Type": "application/xml"}


def push(client: TestClient, body: bytes, *, source: str = "pas", accept: str | None = None) -> Any:
    headers = {**XML, "X-Nordgate-Source": source}
    if accept:
        headers["Accept"] = accept
    return client.post("/bookings", content=body, headers=headers)


def resources(response: Any) -> dict[str, dict[str, Any]]:
    return {entry["resource"]["resourceType"]: entry["resource"] for entry in response.json()["entry"]}


def outcome_code(response: Any) -> str:
    OperationOutcome.model_validate(response.json())
    return str(response.json()["issue"][0]["details"]["coding"][0]["code"])


def test_a_booking_answers_a_valid_r4_bundle_and_is_readable(client: TestClient) -> None:
    response = push(client, make_booking())
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/fhir+json; fhirVersion=4.0")
    BundleR4.model_validate(response.json())
    entry = response.json()["entry"][0]
    assert entry["response"]["status"] == "201 Created"
    appointment = entry["resource"]
    assert appointment["status"] == "booked" and appointment["meta"]["versionId"] == "1"
    read = client.get(f"/fhir/Appointment/{appointment['id']}")
    assert read.status_code == 200 and read.json() == appointment
    assert read.headers["etag"] == 'W/"1"'


def test_r5_on_request(client: TestClient) -> None:
    response = push(client, make_booking(), accept="application/fhir+json; fhirVersion=5.0")
    BundleR5.model_validate(response.json())
    appointment = resources(response)["Appointment"]
    assert appointment["participant"][0]["required"] is True
    assert appointment["subject"]["identifier"]["value"] == "191212121212"
    r5 = {"Accept": "application/fhir+json; fhirVersion=5.0"}
    read = client.get(f"/fhir/Appointment/{appointment['id']}", headers=r5)
    assert read.headers["content-type"].endswith("fhirVersion=5.0")


def test_the_same_message_twice_changes_nothing_and_answers_the_same(client: TestClient) -> None:
    first = push(client, make_booking())
    second = push(client, make_booking())
    assert second.content == first.content
    same_meaning = push(client, make_booking().replace(b"<mb:requestedTimeslot>", b"<mb:requestedTimeslot>\n  "))
    appointment = resources(same_meaning)["Appointment"]
    assert appointment["meta"]["versionId"] == "1"
    assert same_meaning.json()["entry"][0]["response"]["status"] == "200 OK"


def test_a_later_message_for_the_same_booking_makes_a_new_version(client: TestClient) -> None:
    push(client, make_booking())
    moved = push(client, update_booking(timeslot(start="20261202080000", end="20261202083000")))
    appointment = resources(moved)["Appointment"]
    assert appointment["meta"]["versionId"] == "2"
    assert appointment["start"] == "2026-12-02T08:00:00+01:00"
    first = client.get(f"/fhir/Appointment/{appointment['id']}/_history/1").json()
    assert first["start"] == "2026-12-01T09:30:00+01:00"


def test_cancel_by_the_citizen_is_the_patients_cancellation(client: TestClient) -> None:
    push(client, make_booking())
    cancelled = resources(push(client, cancel_booking(), source="1177"))["Appointment"]
    assert cancelled["status"] == "cancelled"
    reason = cancelled["cancelationReason"]
    assert reason["coding"][0]["code"] == "pat" and reason["text"] == "Kan inte komma"


def test_cancel_of_an_unknown_booking_is_422_and_stores_nothing(client: TestClient) -> None:
    response = push(client, cancel_booking("NO-SUCH"))
    assert response.status_code == 422
    assert outcome_code(response) == "BOOKING_UNKNOWN"
    assert client.get("/fhir/Appointment").json()["total"] == 0


def test_open_invitation_answer_and_double_booking(client: TestClient) -> None:
    invitation = resources(push(client, make_booking(timeslot("INV-1", start=None, end=None, invitation=True))))
    appointment = invitation["Appointment"]
    assert appointment["status"] == "proposed" and "start" not in appointment
    assert appointment["participant"][0]["status"] == "needs-action"

    refused = push(client, update_booking(timeslot("INV-1")))
    assert refused.status_code == 409 and outcome_code(refused) == "UPDATE_ON_INVITATION"

    answer = resources(push(client, make_booking(timeslot("INV-1")), source="1177"))
    assert answer["Appointment"]["status"] == "booked"
    assert answer["Appointment"]["participant"][0]["status"] == "accepted"
    response = answer["AppointmentResponse"]
    assert response["participantStatus"] == "accepted"
    assert response["appointment"]["reference"] == f"Appointment/{appointment['id']}"
    assert response["start"] == "2026-12-01T09:30:00+01:00"

    again = push(client, make_booking(timeslot("INV-1", start="20261203100000", end="20261203103000")), source="1177")
    assert again.status_code == 409 and outcome_code(again) == "INVITATION_ALREADY_BOOKED"
    search = client.get("/fhir/AppointmentResponse", params={"appointment": f"Appointment/{appointment['id']}"})
    assert search.json()["total"] == 1


@pytest.mark.parametrize("headers,status,code", [
    ({"Content-Type": "text/plain"}, 415, "MEDIA_TYPE_UNSUPPORTED"),
    ({}, 415, "MEDIA_TYPE_UNSUPPORTED"),
    ({**XML, "X-Nordgate-Source": "somewhere"}, 400, "SOURCE_UNKNOWN"),
    ({**XML, "Accept": "application/fhir+json; fhirVersion=3.0"}, 400, "FHIR_VERSION_UNSUPPORTED"),
])
def test_bad_requests_get_operation_outcomes(client: TestClient, headers: dict[str, str], status: int,
                                             code: str) -> None:
    response = client.post("/bookings", content=make_booking(), headers=headers)
    assert response.status_code == status
    assert outcome_code(response) == code


def test_malformed_and_invalid_messages(client: TestClient) -> None:
    malformed = push(client, b"<MakeBooking>")
    assert malformed.status_code == 400 and outcome_code(malformed) == "XML_MALFORMED"
    gap = push(client, make_booking(timeslot(start="20260329023000", end="20260329033000")))
    assert gap.status_code == 422 and outcome_code(gap) == "TIME_NONEXISTENT"
    assert gap.json()["issue"][0]["location"] == ["/MakeBooking/requestedTimeslot/startTimeInclusive"]


def test_pushing_1000_messages_twice_leaves_1000_appointments_with_one_version(client: TestClient) -> None:
    bodies = [make_booking(timeslot(f"BULK-{number}")) for number in range(1000)]
    for _ in range(2):
        for body in bodies:
            assert push(client, body).status_code == 200
    page = client.get("/fhir/Appointment", params={"_count": 500}).json()
    assert page["total"] == 1000
    assert {entry["resource"]["meta"]["versionId"] for entry in page["entry"]} == {"1"}
    second_page = client.get("/fhir/Appointment", params={"_count": 500, "_offset": 500}).json()
    assert {entry["resource"]["meta"]["versionId"] for entry in second_page["entry"]} == {"1"}
