"""POST /preview and /preview/session: the traced Bundle, the same refusals as POST /bookings, nothing stored."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from gateway.toolkit.golden import diff, mask
from tests.conftest import SAMPLES

CRM = SAMPLES / "crm-scheduling"
XML = {"Content-Type": "application/xml"}


def _entries(trace: list[dict[str, Any]], **match: Any) -> list[dict[str, Any]]:
    return [entry for entry in trace if all(entry.get(key) == value for key, value in match.items())]


def test_sample_01_traces_time_type_patient_and_status(client: TestClient) -> None:
    answer = client.post("/preview", content=(CRM / "01-make-booking-soap.xml").read_bytes(), headers=XML)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["format"] == "crm-scheduling"
    assert body["events"] == [{"event": "MakeBooking", "type": "BookingEvent",
                               "location": "/MakeBooking/requestedTimeslot", "source": "pas"}]
    assert body["bundle"]["type"] == "collection"
    [appointment] = [entry["resource"] for entry in body["bundle"]["entry"]]
    resource = f"Appointment/{appointment['id']}"
    [time_type] = _entries(body["trace"], resource=resource, path="appointmentType.coding[0]")
    assert time_type["source"] == "/MakeBooking/requestedTimeslot/timeTypeID"
    assert time_type["by"]["conceptMap"] == "crm-time-type"
    assert time_type["by"]["entry"].startswith("group[0].element[")
    assert time_type["by"]["url"] == "https://nordgate.dev/fhir/ConceptMap/crm-time-type"
    assert time_type["value"] == appointment["appointmentType"]["coding"][0]
    [patient] = _entries(body["trace"], resource=resource, field="patient")
    assert patient["source"] == "/MakeBooking/requestedTimeslot/subject_of_care"
    assert patient["by"] == {"identifierSystem": "personnummer", "table": "mappings/identifier-systems.json"}
    assert patient["value"] == {"system": "http://electronichealth.se/identifier/personnummer",
                                "value": "191212121212"}
    [status] = _entries(body["trace"], resource=resource, path="status")
    assert status["value"] == "booked"
    assert status["by"]["rule"] == "status: MakeBooking with a time → booked (gateway/bookings/service.py)"


def test_preview_stores_nothing(client: TestClient) -> None:
    for path in sorted(CRM.glob("0[1-2]*.xml")):
        assert client.post("/preview", content=path.read_bytes(), headers=XML).status_code == 200
    assert client.get("/fhir/Appointment").json()["total"] == 0
    # …and a push of the same message afterwards is new, not a replay of the preview.
    pushed = client.post("/bookings", content=(CRM / "01-make-booking-soap.xml").read_bytes(), headers=XML)
    assert pushed.json()["entry"][0]["response"]["status"] == "201 Created"


def test_elvis_sample_traces_its_visit_type(client: TestClient) -> None:
    body = client.post("/preview", content=(SAMPLES / "elvis" / "01-group-session-booking-adhd-ung.xml")
                       .read_bytes(), headers=XML).json()
    assert body["format"] == "elvis-group-visit"
    [visit_type] = [entry for entry in body["trace"] if entry["by"].get("conceptMap") == "elvis-visit-type"
                    and "kept" not in entry["by"]]
    assert visit_type["path"] == "appointmentType.coding[0]"
    assert visit_type["source"] == "/GroupSessionBooking/session/visitTypeCode"
    patients = [entry for entry in body["trace"] if entry["field"].endswith(".patient")]
    assert patients and all(entry["source"].startswith("/GroupSessionBooking/session/patient[") for entry in patients)


def test_norwegian_event_traces_its_appointment_type(client: TestClient) -> None:
    body = client.post("/preview", content=(SAMPLES / "group-appointments" / "01-created.json").read_bytes(),
                       headers={"Content-Type": "application/json"}).json()
    assert body["format"] == "no-group-appointment"
    [kind] = [entry for entry in body["trace"] if entry["by"].get("conceptMap") == "no-appointment-type"
              and "kept" not in entry["by"]]
    assert kind["source"] == "/appointmentType/code"
    [status] = _entries(body["trace"], path="status")
    assert "event created → booked" in status["by"]["rule"]
    [practitioner] = _entries(body["trace"], field="practitioners[0]")
    assert practitioner["source"] == "/practitioner/hpr"
    assert practitioner["by"]["identifierSystem"] == "hpr"


@pytest.mark.parametrize("name", ["21-make-booking-invalid-personnummer.xml", "16-dst-gap-nonexistent-time.xml",
                                  "13-cancel-booking-unknown.xml"])
def test_refusal_is_the_same_outcome_as_a_push(client: TestClient, name: str) -> None:
    body = (CRM / name).read_bytes()
    previewed = client.post("/preview", content=body, headers=XML)
    pushed = client.post("/bookings", content=body, headers=XML)
    assert previewed.status_code == pushed.status_code >= 400
    assert previewed.json() == pushed.json()
    assert previewed.json()["resourceType"] == "OperationOutcome"


def test_same_walls_as_bookings(client: TestClient) -> None:
    assert client.post("/preview", content=b"hello", headers={"Content-Type": "text/plain"}).status_code == 415
    unknown = client.post("/preview", content=b"<x/>", headers={**XML, "X-Nordgate-Source": "nobody"})
    assert unknown.status_code == 400
    assert unknown.json()["issue"][0]["details"]["coding"][0]["code"] == "SOURCE_UNKNOWN"
    entity = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "e">]><x>&e;</x>'
    assert client.post("/preview", content=entity, headers=XML).status_code == 400
    huge = client.post("/preview", content=b"<x>" + b"a" * 6_000_000 + b"</x>", headers=XML)
    assert huge.status_code == 413


def test_r5_on_request(client: TestClient) -> None:
    body = client.post("/preview?_fhirVersion=5.0", content=(CRM / "01-make-booking-soap.xml").read_bytes(),
                       headers=XML).json()
    assert _entries(body["trace"], path="subject.identifier", field="patient")
    assert any(entry["by"].get("conceptMap") == "crm-time-type-contact-mode" for entry in body["trace"])


def _session(name: str, **extra: Any) -> dict[str, Any]:
    options = orjson.loads((CRM / name).with_suffix(".case.json").read_bytes())
    return {"message": (CRM / name).read_text(), "name": name, "source": options.get("source", "pas"),
            "given": [{"name": given, "message": (CRM / given).read_text()} for given in options.get("given", [])],
            **extra}


def test_session_previews_an_answer_after_its_invitation(client: TestClient) -> None:
    name = "10-open-invitation-answer-1177.xml"
    answer = client.post("/preview/session", json=_session(name))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    expected = orjson.loads((CRM / "10-open-invitation-answer-1177.expected.json").read_bytes())
    assert diff(mask(expected), mask(body["bundle"])) == []
    [status] = [entry for entry in body["trace"] if entry["path"] == "status"
                and entry["resource"].startswith("Appointment/")]
    assert "for an open invitation (the answer) → booked" in status["by"]["rule"]
    [origin] = _entries(body["trace"], field="origin")
    assert origin["value"] == "open-invitation"
    assert client.get("/fhir/Appointment").json()["total"] == 0


def test_session_refusal_names_the_file_like_nordgate_map(client: TestClient) -> None:
    name = "11-open-invitation-second-answer.xml"
    answer = client.post("/preview/session", json=_session(name))
    assert answer.status_code == 409
    expected = orjson.loads((CRM / "11-open-invitation-second-answer.expected.json").read_bytes())
    assert answer.json() == expected


def test_session_plain_strings_and_r5(client: TestClient) -> None:
    request = {"message": (CRM / "01-make-booking-soap.xml").read_text(), "fhirVersion": "5.0"}
    body = client.post("/preview/session", json=request).json()
    assert any(entry["path"] == "subject.identifier" for entry in body["trace"])


@pytest.mark.parametrize(("request_body", "where"), [
    ([], "/"), ({"message": ""}, "/message"), ({"message": "<x/>", "given": "no"}, "/given"),
    ({"message": "<x/>", "given": [{"name": "a"}]}, "/given/0/message"), ({"message": "<x/>", "extra": 1}, "/extra"),
])
def test_session_shape_is_checked(client: TestClient, request_body: Any, where: str) -> None:
    answer = client.post("/preview/session", json=request_body)
    assert answer.status_code == 400
    issue = answer.json()["issue"][0]
    assert issue["details"]["coding"][0]["code"] == "PREVIEW_SESSION_INVALID"
    assert issue["location"] == [where]


def test_session_unknown_fhir_version_and_media_type(client: TestClient) -> None:
    assert client.post("/preview/session", json={"message": "<x/>", "fhirVersion": "3.0"}).status_code == 400
    assert client.post("/preview/session", content=b"<x/>", headers=XML).status_code == 415
