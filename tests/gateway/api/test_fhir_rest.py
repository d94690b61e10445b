"""FHIR REST as a FHIR client (HAPI's tests) expects: bounded searches, content negotiation, conditional
reads, _count=0 / _summary=count, _sort, instance history, the CapabilityStatement's security, and the
Encounter parameters telephone-contact statistics need (issue 13, points 1, 6 and 7)."""

from __future__ import annotations

import threading
from typing import Any

import anyio
import pytest
from fastapi.testclient import TestClient
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement

from gateway.api.search import MAX_REPEATS, MAX_VALUES
from gateway.ports.store import SearchCancelled, SearchPage
from tests.adapters.inbound.crm_scheduling.messages import cancel_booking, make_booking, timeslot
from tests.adapters.inbound.elvis.messages import UNIT, telephone
from tests.gateway.api.test_bookings_api import outcome_code, push

HSA = "urn:oid:1.2.752.29.4.19"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"


@pytest.fixture
def booked(client: TestClient) -> TestClient:
    push(client, make_booking(timeslot("A", start="20261202080000", end="20261202083000")))
    push(client, make_booking(timeslot("B", start="20261201080000", end="20261201083000")))
    push(client, make_booking(timeslot("C", start="20261203080000", end="20261203083000")))
    push(client, cancel_booking("B"))  # B is now the last updated
    return client


def booking_ids(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    Bundle.model_validate(response.json())
    return [entry["resource"]["identifier"][0]["value"] for entry in response.json().get("entry", [])]


def appointment_id(client: TestClient, booking: str) -> str:
    return str(client.get("/fhir/Appointment", params={"identifier": booking}).json()["entry"][0]["resource"]["id"])


# ---------------------------------------------------------------- point 1: bounded searches


@pytest.mark.parametrize("repeats", [MAX_REPEATS + 1, 300, 999])
def test_a_parameter_repeated_past_the_limit_is_refused_before_the_store(client: TestClient, repeats: int) -> None:
    # 999 repeats were a 500 (SQLite OperationalError), 300 ran over 60 s on PostgreSQL.
    response = client.get("/fhir/Appointment", params=[("identifier", "x")] * repeats)
    assert response.status_code == 400
    assert outcome_code(response) == "SEARCH_TOO_COMPLEX"


def test_too_many_values_in_all_are_refused(client: TestClient) -> None:
    values = ",".join(f"v{n}" for n in range(MAX_VALUES + 1))
    response = client.get("/fhir/Appointment", params={"identifier": values})
    assert response.status_code == 400 and outcome_code(response) == "SEARCH_TOO_COMPLEX"


def test_a_search_within_the_limits_still_runs(booked: TestClient) -> None:
    params = [("identifier", "A,B")] * MAX_REPEATS
    assert sorted(booking_ids(booked.get("/fhir/Appointment", params=params))) == ["A", "B"]


class _BlockingStore:
    """Wraps a store: its search waits until the route cancels it, as a slow query would."""

    def __init__(self, store: Any) -> None:
        self._store = store
        self.cancelled = threading.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def search(self, *args: Any, cancel: threading.Event | None = None, **kwargs: Any) -> SearchPage:
        assert cancel is not None, "the route must hand the store a cancel event"
        if not cancel.wait(10):
            raise AssertionError("the search was not cancelled after the client left")
        self.cancelled.set()
        raise SearchCancelled


def test_the_query_is_cancelled_when_the_client_disconnects(client: TestClient) -> None:
    app: Any = client.app
    runtime = app.state.runtime
    blocking = _BlockingStore(runtime.store)
    runtime.store = blocking
    sent: list[dict[str, Any]] = []
    headers = [(name.lower().encode(), value.encode()) for name, value in client.headers.items()]
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
             "path": "/fhir/Appointment", "raw_path": b"/fhir/Appointment", "query_string": b"status=booked",
             "root_path": "", "headers": [(b"host", b"testserver"), *headers], "client": ("127.0.0.1", 1),
             "server": ("testserver", 80)}

    async def scenario() -> None:
        messages = [{"type": "http.request", "body": b"", "more_body": False}]
        hang_up = anyio.current_time() + 0.2  # the client hangs up while the query runs

        async def receive() -> dict[str, Any]:
            # As uvicorn: the request first, then nothing until the disconnect, which is then at hand.
            if messages:
                return messages.pop(0)
            if anyio.current_time() < hang_up:
                await anyio.sleep(hang_up - anyio.current_time())
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        with anyio.fail_after(10):
            await app(scope, receive, send)

    try:
        anyio.run(scenario)
    finally:
        runtime.store = blocking._store
    assert blocking.cancelled.is_set()
    assert sent[0]["status"] == 499  # "client closed", never a 500


# ---------------------------------------------------------------- point 6: _count=0


@pytest.mark.parametrize("params", [{"_count": "0"}, {"_summary": "count"}])
def test_count_zero_and_summary_count_answer_the_total_only(booked: TestClient, params: dict[str, str]) -> None:
    response = booked.get("/fhir/Appointment", params=params)
    assert response.status_code == 200
    bundle = response.json()
    Bundle.model_validate(bundle)
    assert bundle["total"] == 3 and "entry" not in bundle
    assert [link["relation"] for link in bundle["link"]] == ["self"]  # no next link that never advances


def test_summary_other_than_count_is_refused(client: TestClient) -> None:
    response = client.get("/fhir/Appointment", params={"_summary": "true"})
    assert response.status_code == 400 and outcome_code(response) == "SEARCH_PARAMETER_INVALID"


# ---------------------------------------------------------------- point 7: content negotiation


@pytest.mark.parametrize("path", ["/fhir/metadata", "/fhir/Appointment", "/fhir/Appointment/nope"])
@pytest.mark.parametrize("accept", ["application/fhir+xml", "application/xml", "text/xml",
                                    "application/fhir+json;q=0, application/fhir+xml"])
def test_xml_asked_for_is_406_with_an_operation_outcome(client: TestClient, path: str, accept: str) -> None:
    response = client.get(path, headers={"Accept": accept})
    assert response.status_code == 406
    assert outcome_code(response) == "FORMAT_NOT_ACCEPTABLE"


@pytest.mark.parametrize("accept", ["application/fhir+json", "application/json", "*/*", "application/*",
                                    "application/fhir+xml;q=0.9, application/fhir+json;q=0.8",
                                    "application/fhir+json; fhirVersion=4.0"])
def test_json_asked_for_in_any_form_is_served(client: TestClient, accept: str) -> None:
    assert client.get("/fhir/Appointment", headers={"Accept": accept}).status_code == 200


@pytest.mark.parametrize("value,status", [("json", 200), ("application/fhir+json", 200), ("application/json", 200),
                                          ("xml", 406), ("application/fhir+xml", 406), ("turtle", 406)])
def test_format_is_honoured_or_refused_consistently(client: TestClient, value: str, status: int) -> None:
    for path in ("/fhir/metadata", "/fhir/Appointment"):
        response = client.get(path, params={"_format": value})
        assert response.status_code == status, path
    # _format overrides Accept, as FHIR says
    assert client.get("/fhir/Appointment", params={"_format": "json"},
                      headers={"Accept": "application/fhir+xml"}).status_code == 200


# ---------------------------------------------------------------- point 7: conditional read, sort, history


def test_if_none_match_with_the_current_etag_is_304(booked: TestClient) -> None:
    resource_id = appointment_id(booked, "B")  # version 2 (cancelled)
    for path in (f"/fhir/Appointment/{resource_id}", f"/fhir/Appointment/{resource_id}/_history/2"):
        first = booked.get(path)
        etag = first.headers["ETag"]
        assert etag == 'W/"2"'
        unchanged = booked.get(path, headers={"If-None-Match": etag})
        assert unchanged.status_code == 304 and unchanged.content == b"" and unchanged.headers["ETag"] == etag
        assert booked.get(path, headers={"If-None-Match": '"2"'}).status_code == 304  # weak comparison
        assert booked.get(path, headers={"If-None-Match": 'W/"1"'}).status_code == 200
    assert booked.get(f"/fhir/Appointment/{resource_id}", headers={"If-None-Match": "W/\"9\""}).json()["id"]


@pytest.mark.parametrize("sort,expected", [("date", ["B", "A", "C"]), ("-date", ["C", "A", "B"]),
                                           ("_lastUpdated", ["A", "C", "B"]), ("-_lastUpdated", ["B", "C", "A"])])
def test_sort(booked: TestClient, sort: str, expected: list[str]) -> None:
    assert booking_ids(booked.get("/fhir/Appointment", params={"_sort": sort})) == expected


def test_sort_by_an_unknown_name_is_refused(client: TestClient) -> None:
    response = client.get("/fhir/Appointment", params={"_sort": "patient"})
    assert response.status_code == 400 and outcome_code(response) == "SEARCH_PARAMETER_INVALID"


def test_instance_history_lists_every_version_newest_first(booked: TestClient) -> None:
    resource_id = appointment_id(booked, "B")
    response = booked.get(f"/fhir/Appointment/{resource_id}/_history")
    assert response.status_code == 200
    bundle = response.json()
    Bundle.model_validate(bundle)
    assert bundle["type"] == "history" and bundle["total"] == 2
    assert [entry["resource"]["meta"]["versionId"] for entry in bundle["entry"]] == ["2", "1"]
    assert [entry["resource"]["status"] for entry in bundle["entry"]] == ["cancelled", "booked"]
    assert [entry["response"]["etag"] for entry in bundle["entry"]] == ['W/"2"', 'W/"1"']
    missing = booked.get("/fhir/Appointment/nope/_history")
    assert missing.status_code == 404 and outcome_code(missing) == "RESOURCE_NOT_FOUND"


# ---------------------------------------------------------------- point 7: the CapabilityStatement


def test_capability_statement_describes_security_history_and_translate(client: TestClient) -> None:
    statement = client.get("/fhir/metadata").json()
    CapabilityStatement.model_validate(statement)
    rest = statement["rest"][0]
    [service] = rest["security"]["service"]
    assert service["coding"][0] == {"system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                                    "code": "OAuth", "display": "OAuth"}
    assert "Bearer" in rest["security"]["description"] and "SMART" in rest["security"]["description"]
    assert [operation["name"] for operation in rest["operation"]] == ["translate"]
    appointment = next(resource for resource in rest["resource"] if resource["type"] == "Appointment")
    assert {"code": "history-instance"} in appointment["interaction"]
    encounter = next(resource for resource in rest["resource"] if resource["type"] == "Encounter")
    assert {"class", "type", "service-provider"} <= {param["name"] for param in encounter["searchParam"]}


# ---------------------------------------------------------------- point 7: Encounter class, type, service-provider


@pytest.mark.parametrize("params,found", [
    ({"class": "VR"}, True), ({"class": f"{ACT_CODE}|VR"}, True), ({"class": "AMB"}, False),
    ({"type": "Tele"}, True), ({"type": "https://nordgate.dev/fhir/CodeSystem/elvis-visit-type|Tele"}, True),
    ({"type": "Nybesök"}, False),
    ({"service-provider": UNIT}, True), ({"service-provider": f"{HSA}|{UNIT}"}, True),
    ({"service-provider": "SE2321000131-E000000099999"}, False),
])
def test_telephone_contacts_are_found_by_class_type_and_unit(client: TestClient, params: dict[str, str],
                                                              found: bool) -> None:
    assert push(client, telephone()).status_code == 200
    response = client.get("/fhir/Encounter", params=params)
    assert response.status_code == 200, response.text
    assert response.json()["total"] == (1 if found else 0)


def test_the_openapi_document_lists_the_new_parameters_and_routes(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    search = document["paths"]["/fhir/{resource_type}"]["get"]
    names = {parameter["name"] for parameter in search["parameters"]}
    assert {"_sort", "_summary", "_format", "class", "type", "service-provider"} <= names
    assert "/fhir/{resource_type}/{resource_id}/_history" in document["paths"]
    assert "304" in document["paths"]["/fhir/{resource_type}/{resource_id}"]["get"]["responses"]
