"""Elvis rules on stored state (the Elvis BUP group and telephone-contact routines), through the ingest pipeline on
an in-memory store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from fhir.resources.appointment import Appointment as AppointmentR5
from fhir.resources.encounter import Encounter as EncounterR5
from fhir.resources.R4B.appointment import Appointment as AppointmentR4
from fhir.resources.R4B.encounter import Encounter as EncounterR4

from gateway.bootstrap.inbound import booking_ingest
from gateway.bootstrap.stores import open_store
from gateway.domain.group_records import GroupSessionRecord
from gateway.domain.records import PersonRef
from gateway.fhir.common import FhirVersion
from gateway.fhir.kinds import decode_stored
from gateway.fhir.mappings import load_mappings
from gateway.groups.elvis_records import appointment_id, group_encounter_id, group_session_id
from gateway.ingest.pipeline import BookingIngest
from gateway.primitives.errors import Conflict, NordgateError, Unprocessable
from gateway.primitives.resources import mappings_dir
from tests.adapters.inbound.crm_scheduling.messages import cancel_booking, make_booking, timeslot
from tests.adapters.inbound.elvis.messages import (
    ELSA,
    LIAM,
    MAJA,
    NOAH,
    UNIT,
    attendance,
    cancellation,
    patient,
    registration,
    session_booking,
    telephone,
    visit,
)
from tests.database import store_url_for

MODELS = {
    FhirVersion.R4: {"Appointment": AppointmentR4, "Encounter": EncounterR4},
    FhirVersion.R5: {"Appointment": AppointmentR5, "Encounter": EncounterR5},
}
SESSION = group_session_id(UNIT, "S-1")


@pytest.fixture
def ingest(tmp_path: Path) -> Iterator[BookingIngest]:
    store = open_store(store_url_for(tmp_path))
    yield booking_ingest(store, load_mappings(mappings_dir()), base_url="http://x/fhir")
    store.close()


def push(ingest: BookingIngest, body: bytes, version: FhirVersion = FhirVersion.R4) -> list[dict[str, Any]]:
    """The resources a message created or touched, each validated with the release's fhir.resources model."""
    answer = orjson.loads(ingest.push(body, source="pas", version=version).body)
    resources = [entry["resource"] for entry in answer["entry"]]
    for resource in resources:
        MODELS[version][resource["resourceType"]].model_validate(resource)
    return resources


def of_type(resources: list[dict[str, Any]], resource_type: str) -> list[dict[str, Any]]:
    return [resource for resource in resources if resource["resourceType"] == resource_type]


def refused(ingest: BookingIngest, body: bytes) -> NordgateError:
    with pytest.raises(NordgateError) as caught:
        ingest.push(body, source="pas")
    return caught.value


def stored_session(ingest: BookingIngest, id: str = SESSION) -> GroupSessionRecord:
    stored = ingest.store.read("Appointment", id)
    assert stored is not None
    record = decode_stored(stored)
    assert isinstance(record, GroupSessionRecord)
    return record


def patients(appointment: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["actor"]["identifier"]["value"]: p for p in appointment["participant"] if p["actor"]["type"] == "Patient"}


def extension(participant: dict[str, Any], name: str) -> Any:
    for item in participant.get("extension", []):
        if item["url"].endswith(f"/{name}"):
            return item.get("valueCode") or item.get("valueCoding", {}).get("code") or item
    return None


def test_a_session_booking_is_one_group_appointment_with_ids_and_versions(ingest: BookingIngest) -> None:
    [appointment] = push(ingest, session_booking())
    assert appointment["id"] == SESSION and appointment["status"] == "booked"
    assert set(patients(appointment)) == {ELSA, LIAM, MAJA, NOAH}
    assert extension(patients(appointment)[MAJA], "participant-booking")["extension"][1] == {
        "url": "secondary", "valueBoolean": False}
    record = stored_session(ingest)
    assert record.system == "elvis" and record.capacity == 6 and record.participants[0].booking_id == "B-1"
    again = push(ingest, session_booking().replace(b"<capacity>", b"\n<capacity>"))
    assert again[0]["meta"]["versionId"] == "1"
    changed = push(ingest, session_booking(patient(ELSA, "B-1"), patient(LIAM, "B-2")))
    assert changed[0]["meta"]["versionId"] == "2" and set(patients(changed[0])) == {ELSA, LIAM}


def test_over_capacity_is_409_and_stores_nothing(ingest: BookingIngest) -> None:
    error = refused(ingest, session_booking(capacity=3))
    assert isinstance(error, Conflict) and error.code == "GROUP_CAPACITY_EXCEEDED"
    assert ingest.store.read("Appointment", SESSION) is None


def test_a_cancelled_place_is_free_and_a_later_list_keeps_history(ingest: BookingIngest) -> None:
    push(ingest, session_booking(capacity=4))
    push(ingest, cancellation(LIAM))
    five = session_booking(patient(ELSA, "B-1"), patient(LIAM, "B-2"), patient(MAJA, "B-3"), patient(NOAH, "B-4"),
                           patient("201209301009", "B-5"), capacity=4)
    [appointment] = push(ingest, five)
    assert patients(appointment)[LIAM]["status"] == "declined"  # not revived by the list
    [shorter] = push(ingest, session_booking(patient(ELSA, "B-1"), capacity=4))
    assert set(patients(shorter)) == {ELSA, LIAM}  # unreported ones unbooked; the cancellation stays


def test_another_group_under_the_same_session_id_is_409(ingest: BookingIngest) -> None:
    push(ingest, session_booking())
    assert refused(ingest, session_booking(group="SKILLS")).code == "SESSION_GROUP_MISMATCH"


def test_attendance_with_one_no_show(ingest: BookingIngest) -> None:
    push(ingest, session_booking())
    resources = push(ingest, attendance((ELSA, True), (LIAM, True), (MAJA, True), (NOAH, False)))
    [appointment] = of_type(resources, "Appointment")
    assert appointment["status"] == "fulfilled"
    noah = patients(appointment)[NOAH]
    assert extension(noah, "participant-attendance") == "noshow" and extension(noah, "fee-rule") == "U2"
    assert extension(noah, "participant-booking")["extension"][1]["valueBoolean"] is False  # X removed
    assert extension(patients(appointment)[ELSA], "participant-booking")["extension"][1]["valueBoolean"] is True
    encounters = of_type(resources, "Encounter")
    assert sorted(e["subject"]["identifier"]["value"] for e in encounters) == sorted([ELSA, LIAM, MAJA])
    for encounter in encounters:
        assert encounter["class"]["code"] == "AMB" and encounter["status"] == "finished"
        assert encounter["appointment"] == [{"reference": f"Appointment/{SESSION}"}]
    noah_ref = PersonRef("personnummer", NOAH)
    assert ingest.store.read("Encounter", group_encounter_id(SESSION, noah_ref)) is None


def test_nobody_came(ingest: BookingIngest) -> None:
    push(ingest, session_booking(patient(ELSA, "B-1"), patient(LIAM, "B-2")))
    resources = push(ingest, attendance((ELSA, False), (LIAM, False)))
    assert [r["resourceType"] for r in resources] == ["Appointment"]
    assert resources[0]["status"] == "noshow"
    assert ingest.store.count("Encounter") == 0


def test_reports_repeat_harmlessly_but_do_not_change_silently(ingest: BookingIngest) -> None:
    push(ingest, session_booking())
    push(ingest, attendance((ELSA, True), (NOAH, False)))
    again = push(ingest, attendance((NOAH, False), (ELSA, True)))
    assert {r["meta"]["versionId"] for r in again} == {"1", "2"}  # Appointment v2 and Encounter v1: unchanged
    error = refused(ingest, attendance((NOAH, True)))
    assert isinstance(error, Conflict) and error.code == "ATTENDANCE_ALREADY_REPORTED"
    assert error.location == "/AttendanceReport/patient[1]"
    assert refused(ingest, session_booking(capacity=7)).code == "SESSION_ALREADY_REPORTED"
    push(ingest, session_booking())  # the same booking list again changes nothing


def test_unknowns_are_422_and_a_refused_report_stores_nothing(ingest: BookingIngest) -> None:
    error = refused(ingest, attendance((ELSA, True), session="S-404"))
    assert isinstance(error, Unprocessable) and error.code == "SESSION_UNKNOWN"
    push(ingest, session_booking(patient(ELSA, "B-1")))
    error = refused(ingest, attendance((ELSA, True), ("201209301009", True)))
    assert error.code == "PARTICIPANT_UNKNOWN" and error.location == "/AttendanceReport/patient[2]"
    assert stored_session(ingest).participants[0].attendance is None and ingest.store.count("Encounter") == 0
    assert refused(ingest, registration(visit(ELSA, "Nybesök"), session="S-404")).code == "SESSION_UNKNOWN"
    assert refused(ingest, cancellation(ELSA, session="S-404")).code == "SESSION_UNKNOWN"


def test_visit_registration_fills_in_the_encounter(ingest: BookingIngest) -> None:
    push(ingest, session_booking())
    push(ingest, attendance((ELSA, True), (NOAH, False)))
    resources = push(ingest, registration(
        visit(ELSA, "Återbesök", extra="<visitId>V-1</visitId><patientFeeCode>P0</patientFeeCode>"
              "<paymentMethod>Gena</paymentMethod><actionCode>GRP</actionCode><reason>Grupp</reason>"),
        visit(NOAH, "U2")))
    [encounter] = of_type(resources, "Encounter")
    assert encounter["meta"]["versionId"] == "2" and encounter["identifier"][0]["value"] == "V-1"
    assert [c["code"] for c in encounter["type"][0]["coding"]] == ["FOLLOWUP", "Återbesök"]
    codes = {item["url"].rsplit("/", 1)[1]: item["valueCoding"]["code"] for item in encounter["extension"]}
    assert codes == {"patient-fee": "P0", "payment-method": "Gena", "action-code": "GRP"}
    assert encounter["reasonCode"] == [{"text": "Grupp"}]
    assert ingest.store.count("Encounter") == 1  # U2: no Encounter for Noah


def test_registration_without_a_report_and_u2_registration(ingest: BookingIngest) -> None:
    push(ingest, session_booking(patient(ELSA, "B-1"), patient(NOAH, "B-4")))
    [appointment] = push(ingest, registration(visit(NOAH, "U2")))
    assert appointment["status"] == "booked"  # Elsa is not reported yet
    noah = patients(appointment)[NOAH]
    assert extension(noah, "fee-rule") == "U2" and extension(noah, "participant-attendance") == "noshow"
    resources = push(ingest, registration(visit(ELSA, "Nybesök")))
    assert of_type(resources, "Appointment")[0]["status"] == "fulfilled"
    [encounter] = of_type(resources, "Encounter")
    assert encounter["class"]["code"] == "AMB" and encounter["meta"]["versionId"] == "1"
    error = refused(ingest, registration(visit(ELSA, "U2")))
    assert isinstance(error, Conflict) and error.code == "VISIT_CONTRADICTS_ATTENDANCE"


def test_cancellation_by_guardian_is_not_a_no_show(ingest: BookingIngest) -> None:
    push(ingest, session_booking())
    [appointment] = push(ingest, cancellation(LIAM, by="guardian", deviation="Avbokad av vårdnadshavare"))
    liam = patients(appointment)[LIAM]
    assert liam["status"] == "declined" and extension(liam, "participant-attendance") == "cancelled"
    assert extension(liam, "fee-rule") is None and appointment["status"] == "booked"
    record = stored_session(ingest).participants[1]
    assert (record.cancelled_by, record.deviation, record.fee_rule) == ("pat", "Avbokad av vårdnadshavare", None)
    again = push(ingest, cancellation(LIAM, deviation="Annan text"))
    assert again[0]["meta"]["versionId"] == "2"
    assert refused(ingest, attendance((LIAM, True))).code == "PARTICIPANT_CANCELLED"
    assert refused(ingest, registration(visit(LIAM, "Nybesök"))).code == "PARTICIPANT_CANCELLED"
    push(ingest, cancellation(MAJA, by="unit"))
    assert stored_session(ingest).participants[2].cancelled_by == "prov"
    push(ingest, attendance((ELSA, True)))
    error = refused(ingest, cancellation(ELSA))
    assert isinstance(error, Conflict) and error.code == "PARTICIPANT_ALREADY_REPORTED"


def test_telephone_contact_answered(ingest: BookingIngest) -> None:
    resources = push(ingest, telephone("answered", extra="<smsReminder>false</smsReminder>"))
    [appointment] = of_type(resources, "Appointment")
    assert appointment["id"] == appointment_id(UNIT, "TEL-1") and appointment["status"] == "fulfilled"
    [encounter] = of_type(resources, "Encounter")
    assert encounter["class"]["code"] == "VR" and encounter["status"] == "finished"
    assert encounter["type"][0]["text"] == "Tele"
    codes = {item["url"].rsplit("/", 1)[1]: item["valueCoding"]["code"] for item in encounter["extension"]}
    assert codes == {"patient-fee": "P0", "payment-method": "Gena"}
    assert encounter["appointment"] == [{"reference": f"Appointment/{appointment['id']}"}]
    assert push(ingest, telephone("answered"))[0]["meta"]["versionId"] == "1"
    error = refused(ingest, telephone("no-answer"))
    assert isinstance(error, Conflict) and error.code == "TELEPHONE_OUTCOME_CONFLICT"


def test_telephone_no_answer_is_no_care_contact(ingest: BookingIngest) -> None:
    resources = push(ingest, telephone("no-answer"))
    assert [(r["resourceType"], r["status"]) for r in resources] == [("Appointment", "noshow")]
    assert ingest.store.count("Encounter") == 0


def test_an_errand_call_stores_nothing(ingest: BookingIngest) -> None:
    error = refused(ingest, telephone(kind="booking"))
    assert isinstance(error, Unprocessable) and error.code == "NOT_A_TELEPHONE_CONTACT"
    assert ingest.store.count("Appointment") == 0 and ingest.store.count("Encounter") == 0


def test_telephone_contact_of_a_crm_scheduling_booking(ingest: BookingIngest) -> None:
    crm_unit = "SE2321000131-E000000000001"
    push(ingest, make_booking(timeslot("TEL-9", subject="191212121212")))
    body = telephone(booking_id="TEL-9", subject="191212121212").replace(UNIT.encode(), crm_unit.encode())
    [appointment, encounter] = push(ingest, body)
    assert appointment["id"] == appointment_id(crm_unit, "TEL-9") and appointment["meta"]["versionId"] == "2"
    assert appointment["status"] == "fulfilled" and encounter["appointment"][0]["reference"].endswith(appointment["id"])
    assert refused(ingest, body.replace(b"191212121212", b"201212121212")).code == "BOOKING_PATIENT_MISMATCH"
    push(ingest, make_booking(timeslot("TEL-10")))
    push(ingest, cancel_booking("TEL-10"))
    cancelled = telephone(booking_id="TEL-10", subject="191212121212").replace(UNIT.encode(), crm_unit.encode())
    assert refused(ingest, cancelled).code == "BOOKING_CANCELLED"


def test_r5_rendering_of_a_session_and_its_encounters(ingest: BookingIngest) -> None:
    push(ingest, session_booking())
    resources = push(ingest, attendance((ELSA, True)), FhirVersion.R5)
    [appointment] = of_type(resources, "Appointment")
    assert appointment["subject"]["type"] == "Group" and appointment["subject"]["identifier"]["value"] == "ADHD-UNG"
    [encounter] = of_type(resources, "Encounter")
    assert encounter["status"] == "completed" and encounter["class"][0]["coding"][0]["code"] == "AMB"
