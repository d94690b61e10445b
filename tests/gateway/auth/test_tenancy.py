"""Tenant isolation: a client bound to one unit reads, searches, pushes and reports only for it.
Another tenant's resource is 404 (never 403: its existence is not told)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from gateway.auth.tenancy import TENANT_TOKENS, record_tenant
from gateway.fhir.kinds import kinds
from gateway.fhir.mappings import load_mappings
from gateway.primitives.resources import mappings_dir
from tests.adapters.inbound.crm_scheduling.available import available_response, free_slot
from tests.adapters.inbound.crm_scheduling.messages import UNIT, make_booking, timeslot
from tests.adapters.inbound.elvis.messages import patient, session_booking
from tests.adapters.inbound.no_group.events import body, created
from tests.auth_helpers import DEFAULT_CLIENT, Scope, test_client_spec
from tests.gateway.auth.conftest import READER_A, READER_B, UNIT_A, UNIT_B, AppFactory, code_of
from tests.gateway.auth.kind_samples import sample_records

XML = {"content-type": "application/xml"}
ADMIN = DEFAULT_CLIENT.headers


def push(client: TestClient, message: bytes, headers: dict[str, str], source: str = "pas") -> Any:
    return client.post("/bookings", content=message, headers={**XML, "X-Nordgate-Source": source, **headers})


def at_unit_b(message: bytes) -> bytes:
    return message.replace(UNIT.encode(), UNIT_B.encode())


def seed(client: TestClient) -> dict[str, str]:
    """One booking at each unit, an answered open invitation at A, free slots at both."""
    assert UNIT == UNIT_A
    ids = {}
    for name, message in (("a", make_booking(timeslot("A-1"))), ("b", at_unit_b(make_booking(timeslot("B-1"))))):
        response = push(client, message, ADMIN)
        assert response.status_code == 200, response.text
        ids[name] = response.json()["entry"][0]["resource"]["id"]
    invitation = make_booking(timeslot("INV-1", start=None, end=None, invitation=True))
    assert push(client, invitation, ADMIN).status_code == 200
    assert push(client, at_unit_b(invitation), ADMIN).status_code == 200
    for message in (make_booking(timeslot("INV-1")), at_unit_b(make_booking(timeslot("INV-1")))):
        assert push(client, message, ADMIN, source="1177").status_code == 200
    slots = available_response(free_slot("20260302083000", "20260302090000"),
                               free_slot("20260302083000", "20260302090000", unit=UNIT_B))
    assert push(client, slots, ADMIN).status_code == 200
    return ids


def test_read_and_vread_of_another_tenants_resource_is_404(app_client: TestClient) -> None:
    ids = seed(app_client)
    assert app_client.get(f"/fhir/Appointment/{ids['a']}", headers=READER_A.headers).status_code == 200
    assert app_client.get(f"/fhir/Appointment/{ids['a']}/_history/1", headers=READER_A.headers).status_code == 200
    other = app_client.get(f"/fhir/Appointment/{ids['b']}", headers=READER_A.headers)
    assert other.status_code == 404 and code_of(other) == "RESOURCE_NOT_FOUND"
    missing = app_client.get("/fhir/Appointment/no-such-id", headers=READER_A.headers)
    assert missing.status_code == 404 and code_of(missing) == code_of(other)  # told apart from nothing
    version = app_client.get(f"/fhir/Appointment/{ids['b']}/_history/1", headers=READER_A.headers)
    assert version.status_code == 404 and code_of(version) == "RESOURCE_VERSION_NOT_FOUND"
    assert app_client.get(f"/fhir/Appointment/{ids['b']}", headers=READER_B.headers).status_code == 200


def _units(response: Any) -> set[str]:
    assert response.status_code == 200, response.text
    found = set()
    for entry in response.json()["entry"]:
        text = str(entry["resource"])
        found |= {unit for unit in (UNIT_A, UNIT_B) if unit in text}
    return found


def test_searches_show_only_the_callers_tenants(app_client: TestClient) -> None:
    seed(app_client)
    everything = app_client.get("/fhir/Appointment", headers=ADMIN).json()
    only_a = app_client.get("/fhir/Appointment", headers=READER_A.headers)
    assert _units(only_a) == {UNIT_A} and only_a.json()["total"] == everything["total"] // 2
    assert _units(app_client.get("/fhir/Appointment", headers=READER_B.headers)) == {UNIT_B}
    for resource_type in ("Slot", "Schedule", "AppointmentResponse"):
        assert app_client.get(f"/fhir/{resource_type}", headers=ADMIN).json()["total"] == 2, resource_type
        response = app_client.get(f"/fhir/{resource_type}", headers=READER_A.headers)
        assert response.json()["total"] == 1, resource_type
    # Asking for the other unit explicitly finds nothing.
    asked = app_client.get("/fhir/Slot", params={"facility": UNIT_B}, headers=READER_A.headers).json()
    assert asked["total"] == 0


def test_a_client_without_tenants_sees_no_data_but_maps(make_client: AppFactory) -> None:
    nobody = test_client_spec("nobody", scopes={Scope.FHIR_READ}, tenants=set())
    with make_client(nobody) as client:
        seed(client)
        assert client.get("/fhir/Appointment", headers=nobody.headers).json()["total"] == 0
        assert client.get("/fhir/ConceptMap", headers=nobody.headers).status_code == 200
        assert client.get("/fhir/metadata", headers=nobody.headers).status_code == 200


def test_a_push_for_another_unit_is_refused_before_anything_is_stored(app_client: TestClient) -> None:
    refused = push(app_client, at_unit_b(make_booking(timeslot("X-1"))), READER_A.headers)
    assert refused.status_code == 403 and code_of(refused) == "TENANT_FORBIDDEN"
    assert app_client.get("/fhir/Appointment", headers=ADMIN).json()["total"] == 0
    assert push(app_client, make_booking(timeslot("X-1")), READER_A.headers).status_code == 200
    elvis = push(app_client, session_booking(patient("191212121212", "E-1")), READER_A.headers)
    assert elvis.status_code == 403 and code_of(elvis) == "TENANT_FORBIDDEN"
    norwegian = app_client.post("/bookings", content=body(created()),
                                headers={"content-type": "application/json", **READER_A.headers})
    assert norwegian.status_code == 403 and code_of(norwegian) == "TENANT_FORBIDDEN"
    slots = push(app_client, available_response(free_slot("20260302083000", "20260302090000", unit=UNIT_B)),
                 READER_A.headers)
    assert slots.status_code == 403
    assert app_client.get("/fhir/Appointment", headers=ADMIN).json()["total"] == 1


def test_the_norwegian_clinic_is_its_her_id(make_client: AppFactory) -> None:
    clinic = test_client_spec("clinic", scopes={Scope.BOOKINGS_PUSH, Scope.FHIR_READ}, tenants={"8142531"})
    with make_client(clinic) as client:
        response = client.post("/bookings", content=body(created()),
                               headers={"content-type": "application/json", **clinic.headers})
        assert response.status_code == 200, response.text
        assert client.get("/fhir/Appointment", headers=clinic.headers).json()["total"] == 1


def test_reports_are_per_unit(app_client: TestClient) -> None:
    params = {"from": "2026-03-01", "to": "2026-04-30"}
    assert app_client.get("/reports/self-service", params={"unit": UNIT_A, **params},
                          headers=READER_A.headers).status_code == 200
    other = app_client.get("/reports/self-service", params={"unit": UNIT_B, **params}, headers=READER_A.headers)
    assert other.status_code == 403 and code_of(other) == "TENANT_FORBIDDEN"
    chart = app_client.get("/reports/self-service/chart.svg", params={"unit": UNIT_B, **params},
                           headers=READER_A.headers)
    assert chart.status_code == 403


def test_every_stored_kind_has_its_tenant_as_a_search_token() -> None:
    records = sample_records()
    assert {type(record) for record in records} == {kind.record for kind in kinds().values()}
    mappings = _mappings()
    for record in records:
        tenant = record_tenant(record)
        assert tenant, type(record).__name__
        tokens = kinds()[record.kind].tokens(record, mappings)
        assert (TENANT_TOKENS[record.resource_type], tenant) in tokens, type(record).__name__


def _mappings() -> Any:
    return load_mappings(mappings_dir())


def test_an_answer_stored_before_it_had_a_unit_is_read_through_its_appointment(app_client: TestClient) -> None:
    seed(app_client)
    runtime = app_client.app.state.runtime  # type: ignore[attr-defined]
    answers = app_client.get("/fhir/AppointmentResponse", headers=READER_A.headers).json()["entry"]
    answer_id = answers[0]["resource"]["id"]
    stored = runtime.store.read("AppointmentResponse", answer_id)
    legacy = stored.record.replace(f',"facility":"{UNIT_A}"'.encode(), b"")
    assert legacy != stored.record

    def rewrite(session: Any) -> None:
        session.put("AppointmentResponse", answer_id, legacy, [("appointment", answers[0]["resource"]
                                                                  ["appointment"]["reference"].split("/")[-1])],
                    previous_version=stored.version_id)

    assert not isinstance(runtime.store.write_batch([rewrite])[0], BaseException)
    assert app_client.get(f"/fhir/AppointmentResponse/{answer_id}", headers=READER_A.headers).status_code == 200
    assert app_client.get(f"/fhir/AppointmentResponse/{answer_id}", headers=READER_B.headers).status_code == 404
