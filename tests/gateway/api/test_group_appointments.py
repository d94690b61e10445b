"""Norwegian group appointments over HTTP: JSON events on POST /bookings, the FHIR they become,
GET /group-appointments/{id}/bills, and those bills accepted by POST /settlements."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from fhir.resources.appointment import Appointment as AppointmentR5
from fhir.resources.bundle import Bundle as BundleR5
from fhir.resources.R4B.appointment import Appointment as AppointmentR4
from fhir.resources.R4B.bundle import Bundle as BundleR4

from gateway.api import create_app
from gateway.config.settings import load_settings
from gateway.groups.no_service import group_appointment_id
from gateway.settlement.batch import parse_batch
from tests.adapters.inbound.no_group.events import (
    CLINIC,
    GROUP,
    P1,
    P2,
    P3,
    added,
    body,
    created,
    event,
    finished,
)
from tests.auth_helpers import DEFAULT_CLIENT, Scope, api_key_settings, test_client_spec
from tests.database import database_url_for
from tests.gateway.audit.helpers import rows_of
from tests.gateway.settlement.service.helpers import AR_DATA, CA_PEM, ENTERPRISE_P12, PASSWORD_FILE

JSON = {"content-type": "application/json"}
APPOINTMENT = group_appointment_id(CLINIC["herId"], GROUP)
BILLS = f"/group-appointments/{APPOINTMENT}/bills"


# A clinic's own client and another clinic's: bill cards are the clinic's (tenant: its HER-id).
CLINIC_CLIENT = test_client_spec("clinic", scopes={Scope.SETTLEMENTS_SUBMIT, Scope.BOOKINGS_PUSH},
                                 tenants={CLINIC["herId"]})
OTHER_CLINIC = test_client_spec("other-clinic", scopes={Scope.SETTLEMENTS_SUBMIT}, tenants={"8142540"})


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    # The settlement side as the settlement API tests configure it: the enterprise certificate of
    # organisation 921000006 and the stand-in address register holding HER-id 8142531.
    settings = load_settings(
        database_url=database_url_for(tmp_path), public_base_url="http://testserver/fhir",
        ar_data_dir=AR_DATA, signing_trust_anchors=CA_PEM, enterprise_p12=ENTERPRISE_P12,
        enterprise_password_file=PASSWORD_FILE, drop_dir=tmp_path / "drop", outbox_worker=False,
        max_body_bytes=64 * 1024, **api_key_settings(CLINIC_CLIENT, OTHER_CLINIC))
    with TestClient(create_app(settings), headers=DEFAULT_CLIENT.headers) as test_client:
        yield test_client


def post(client: TestClient, doc: dict[str, Any], **headers: str) -> Any:
    return client.post("/bookings", content=body(doc), headers={**JSON, **headers})


def code_of(response: Any) -> str:
    return str(response.json()["issue"][0]["details"]["coding"][0]["code"])


def test_events_become_fhir_and_bills_that_settle(client: TestClient) -> None:
    created_response = post(client, created())
    assert created_response.status_code == 200, created_response.text
    BundleR4.model_validate(created_response.json())
    assert post(client, added(P1, P2, P3)).status_code == 200
    assert client.get(BILLS).status_code == 409 and code_of(client.get(BILLS)) == "GROUP_NOT_FINISHED"
    done = post(client, finished({"patient": {"id": P1}, "exemptionCode": "F", "patientShare": "118.00",
                                  "diagnosis": {"system": "ICPC-2", "code": "L03"}},
                                 {"patient": {"id": P3}, "attended": False}))
    assert done.status_code == 200, done.text
    bundle = done.json()
    BundleR4.model_validate(bundle)
    kinds = sorted(entry["resource"]["resourceType"] for entry in bundle["entry"])
    assert kinds == ["Appointment", "Encounter", "Encounter"]

    bills = client.get(BILLS)
    assert bills.status_code == 200 and bills.headers["content-type"].startswith("application/json")
    batch = parse_batch(bills.content)
    assert [bill.patient.id for bill in batch.bills] == [P1, P2]
    assert client.get(f"/group-appointments/{GROUP}/bills", params={"herId": CLINIC["herId"]}).json() \
        == bills.json()

    settled = client.post("/settlements", content=bills.content, headers=JSON)
    assert settled.status_code == 202, settled.text
    status = client.get(f"/settlements/{settled.json()['id']}").json()
    assert status["counts"]["included"] == 2


def test_fhir_read_in_r4_and_r5(client: TestClient) -> None:
    post(client, created())
    post(client, added(P1))
    r4 = client.get(f"/fhir/Appointment/{APPOINTMENT}")
    assert r4.status_code == 200
    AppointmentR4.model_validate(r4.json())
    r5 = client.get(f"/fhir/Appointment/{APPOINTMENT}", params={"_fhirVersion": "5.0"})
    AppointmentR5.model_validate(r5.json())
    pushed_r5 = post(client, event("checked-in", patient={"id": P1}, at="2024-09-17T10:00:00+02:00"),
                     accept="application/fhir+json; fhirVersion=5.0")
    BundleR5.model_validate(pushed_r5.json())
    assert pushed_r5.json()["entry"][0]["resource"]["status"] == "arrived"


def test_unknown_appointments_are_404(client: TestClient) -> None:
    missing = client.get("/group-appointments/nope/bills")
    assert missing.status_code == 404 and code_of(missing) == "GROUP_APPOINTMENT_NOT_FOUND"
    assert client.get(f"/group-appointments/{GROUP}/bills", params={"herId": "1"}).status_code == 404


@pytest.mark.parametrize(("doc_or_bytes", "status", "code"), [
    (added(P1), 422, "GROUP_UNKNOWN"),
    (b'{"event": "deleted", "event": "created"}', 400, "EVENT_JSON_DUPLICATE_KEY"),
    (b'{"event": "\xe6"}', 400, "EVENT_JSON_NOT_UTF8"),
    (b'{"capacity": NaN}', 400, "EVENT_JSON_MALFORMED"),
    (b'{"resourceType": "Patient"}', 422, "FORMAT_UNKNOWN"),
    (created(note="x" * 70_000), 413, "PAYLOAD_TOO_LARGE"),
])
def test_refused_events_are_operation_outcomes(client: TestClient, doc_or_bytes: Any, status: int,
                                               code: str) -> None:
    data = doc_or_bytes if isinstance(doc_or_bytes, bytes) else body(doc_or_bytes)
    response = client.post("/bookings", content=data, headers=JSON)
    assert response.status_code == status and code_of(response) == code, response.text


def test_capacity_and_late_delete_are_409(client: TestClient) -> None:
    post(client, created(capacity=1))
    full = post(client, added(P1, P2))
    assert full.status_code == 409 and code_of(full) == "GROUP_CAPACITY_EXCEEDED"
    late = post(client, event("deleted", "2024-09-02T09:10:00+02:00"))
    assert late.status_code == 409 and code_of(late) == "GROUP_DELETE_TOO_LATE"
    assert "five minutes" in late.json()["issue"][0]["details"]["text"]
    assert orjson.loads(client.get(f"/fhir/Appointment/{APPOINTMENT}").content)["status"] == "booked"


def own_fee_group_finished(client: TestClient) -> None:
    assert post(client, created(helfo=False, extraFee="350.00")).status_code == 200
    assert post(client, added(P1, P2, P3)).status_code == 200
    doc = finished({"patient": {"id": P3}, "attended": False})
    del doc["tariffs"]
    done = post(client, doc)
    assert done.status_code == 200, done.text


def test_an_own_fee_group_gives_pay_later_cards_and_no_helfo_bills(client: TestClient) -> None:
    own_fee_group_finished(client)
    cards = client.get(f"/group-appointments/{APPOINTMENT}/bill-cards")
    assert cards.status_code == 200, cards.text
    assert [(c["patient"]["id"], c["status"], c["amountDue"]) for c in cards.json()["billCards"]] == [
        (P1, "betales-senere", "350.00"), (P2, "betales-senere", "350.00")]
    assert client.get(f"/group-appointments/{GROUP}/bill-cards", params={"herId": CLINIC["herId"]}).json() \
        == cards.json()
    bills = client.get(BILLS)
    assert bills.status_code == 409 and code_of(bills) == "GROUP_NOT_HELFO"
    listing = client.get("/bill-cards", params={"patient": P1})
    assert listing.status_code == 200 and listing.json()["total"] == 1
    assert listing.json()["billCards"] == [cards.json()["billCards"][0]]
    assert client.get("/bill-cards", params={"patient": P3}).json()["total"] == 0  # the no-show owes nothing


def test_bill_cards_are_the_clinics_own(client: TestClient) -> None:
    own_fee_group_finished(client)
    mine = client.get("/bill-cards", params={"patient": P1}, headers=CLINIC_CLIENT.headers)
    assert mine.status_code == 200 and mine.json()["total"] == 1
    theirs = client.get("/bill-cards", params={"patient": P1}, headers=OTHER_CLINIC.headers)
    assert theirs.status_code == 200 and (theirs.json()["total"], theirs.json()["billCards"]) == (0, [])
    hidden = client.get(f"/group-appointments/{APPOINTMENT}/bill-cards", headers=OTHER_CLINIC.headers)
    assert hidden.status_code == 404 and code_of(hidden) == "GROUP_APPOINTMENT_NOT_FOUND"


@pytest.mark.parametrize(("params", "status", "code"), [
    ({"patient": "12037512329"}, 422, "NATIONAL_ID_CHECK_DIGIT"),
    ({"patient": "1203751232"}, 400, "REQUEST_INVALID"),
    ({}, 400, "REQUEST_INVALID"),
    ({"patient": P1, "_count": "0"}, 400, "REQUEST_INVALID"),
])
def test_bill_card_listing_refusals(client: TestClient, params: dict[str, str], status: int, code: str) -> None:
    response = client.get("/bill-cards", params=params)
    assert response.status_code == status and code_of(response) == code, response.text


def test_bill_card_reads_are_audited_without_the_patient(client: TestClient) -> None:
    own_fee_group_finished(client)
    client.get("/bill-cards", params={"patient": P1})
    client.get(f"/group-appointments/{APPOINTMENT}/bill-cards")
    reads = rows_of(client, "bills.read")
    assert [(r["status"], r["resourceId"]) for r in reads] == [(200, None), (200, APPOINTMENT)]
    assert reads[0]["detail"]["params"] == ["patient"] and P1 not in str(reads)


def test_a_missing_problemstilling_refuses_the_bills_naming_the_patient(client: TestClient) -> None:
    post(client, created())
    post(client, added(P1, P2))
    done = post(client, finished({"patient": {"id": P1}, "diagnosis": {"system": "ICPC-2", "code": "L03"}},
                                 accounting="standard"))
    assert done.status_code == 200, done.text  # the attendance and the journal are facts; the claim waits
    bills = client.get(BILLS)
    assert bills.status_code == 422 and code_of(bills) == "GROUP_DIAGNOSIS_MISSING"
    [_, patient] = bills.json()["issue"]
    assert patient["location"] == ["/bills/1/diagnoses"] and P2 in patient["details"]["text"]
    assert P1 not in patient["details"]["text"]
    # the cards are made all the same: the patients pay later whatever HELFO is sent
    assert len(client.get(f"/group-appointments/{APPOINTMENT}/bill-cards").json()["billCards"]) == 2
