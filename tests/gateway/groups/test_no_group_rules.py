"""Norwegian group-appointment rules on stored state, through the ingest pipeline on an in-memory
store (the bills of a finished appointment: test_no_group_bills.py)."""

from __future__ import annotations

from typing import Any

import pytest
from fhir.resources.appointment import Appointment as AppointmentR5
from fhir.resources.encounter import Encounter as EncounterR5
from fhir.resources.R4B.appointment import Appointment as AppointmentR4
from fhir.resources.R4B.encounter import Encounter as EncounterR4

from gateway.fhir.common import FhirVersion
from gateway.fhir.kinds import decode_stored
from gateway.groups.no_bills import draft_batch
from gateway.groups.no_service import group_appointment_id
from gateway.ingest.pipeline import BookingIngest
from gateway.primitives.errors import Conflict, Unprocessable
from tests.adapters.inbound.no_group.events import CLINIC, GROUP, P1, P2, P3, P4, added, created, event, finished
from tests.gateway.groups.no_group_steps import (
    APPOINTMENT,
    booked,
    by_type,
    conflict_of,
    push,
    record,
    refused,
)

# ------------------------------------------------------------------ lifecycle rules


def test_unknown_group_is_422(ingest: BookingIngest) -> None:
    error = refused(ingest, added(P1))
    assert isinstance(error, Unprocessable) and error.code == "GROUP_UNKNOWN"


def test_created_again_same_is_no_change_other_is_409(ingest: BookingIngest) -> None:
    push(ingest, created())
    # the same content in other bytes (an empty note is no note): no new version
    assert push(ingest, created(note=""))[0]["meta"]["versionId"] == "1"
    error = refused(ingest, created(capacity=9))
    assert isinstance(error, Conflict) and error.code == "GROUP_EXISTS"


def test_capacity_counts_booked_patients(ingest: BookingIngest) -> None:
    booked(ingest, P1, P2, capacity=3)
    push(ingest, added(P1, P3))  # P1 again is no second place
    assert [p.patient.value for p in record(ingest).participants] == [P1, P2, P3]
    error = refused(ingest, added(P4))
    assert isinstance(error, Conflict) and error.code == "GROUP_CAPACITY_EXCEEDED"
    assert refused(ingest, event("changed", capacity=2)).code == "GROUP_CAPACITY_EXCEEDED"
    # a patient who cancels frees the place; booking them again takes one
    push(ingest, event("cancelled", by="pat", patient={"id": P2}))
    push(ingest, added(P4))
    assert refused(ingest, added(P2)).code == "GROUP_CAPACITY_EXCEEDED"


def test_removed_patients_leave_and_unknown_ones_are_422(ingest: BookingIngest) -> None:
    booked(ingest, P1, P2)
    push(ingest, event("patients-removed", patients=[{"id": P1}]))
    assert [p.patient.value for p in record(ingest).participants] == [P2]
    again = event("patients-removed", "2024-09-02T09:30:00+02:00", patients=[{"id": P1}])  # other bytes: no replay
    assert refused(ingest, again).code == "GROUP_PATIENT_UNKNOWN"


def test_changes_keep_the_rest(ingest: BookingIngest) -> None:
    booked(ingest, P1, note="Første notat")
    push(ingest, event("changed", start="2024-09-18T10:00:00+02:00", end="2024-09-18T10:45:00+02:00"))
    push(ingest, event("extended", end="2024-09-18T11:15:00+02:00"))
    current = record(ingest)
    assert (current.start, current.end, current.note) == ("2024-09-18T10:00:00+02:00", "2024-09-18T11:15:00+02:00",
                                                          "Første notat")
    push(ingest, event("changed", note=""))
    assert record(ingest).note is None
    assert refused(ingest, event("extended", end="2024-09-18T11:00:00+02:00")).code == "GROUP_EXTEND_NOT_LONGER"
    assert refused(ingest, event("moved", start="2024-09-18T12:00:00+02:00", end="2024-09-18T11:00:00+02:00")) \
        .code == "GROUP_TIME_INVALID"


@pytest.mark.parametrize(("occurred_at", "outcome"), [
    ("2024-09-02T09:05:00+02:00", "entered-in-error"),       # exactly five minutes: still in time
    ("2024-09-02T07:04:00Z", "entered-in-error"),            # another offset, same instant rules
    ("2024-09-02T09:05:01+02:00", "GROUP_DELETE_TOO_LATE"),
    ("2024-09-02T08:59:00+02:00", "GROUP_EVENT_BEFORE_CREATION"),
])
def test_delete_only_within_five_minutes_of_creation(ingest: BookingIngest, occurred_at: str, outcome: str) -> None:
    booked(ingest, P1)
    if outcome.startswith("GROUP_"):
        error = refused(ingest, event("deleted", occurred_at))
        assert error.code == outcome
        assert record(ingest).status == "booked"
    else:
        [appointment] = push(ingest, event("deleted", occurred_at))
        assert appointment["status"] == outcome
        assert refused(ingest, added(P2)).code == "GROUP_CLOSED"


def test_a_late_delete_says_why(ingest: BookingIngest) -> None:
    booked(ingest)
    error = refused(ingest, event("deleted", "2024-09-02T09:20:00+02:00"))
    assert isinstance(error, Conflict) and "within five minutes" in error.message and "20 min 0 s" in error.message


def test_check_in_and_out(ingest: BookingIngest) -> None:
    booked(ingest, P1, P2)
    assert refused(ingest, event("checked-out", patient={"id": P1}, at="2024-09-17T11:00:00+02:00")).code \
        == "GROUP_PATIENT_NOT_CHECKED_IN"
    [appointment] = push(ingest, event("checked-in", patient={"id": P1}, at="2024-09-17T09:59:00+02:00"))
    assert appointment["status"] == "arrived"
    push(ingest, event("checked-in", patient={"id": P2}, at="2024-09-17T10:03:00+02:00"))
    assert record(ingest).status == "arrived"
    assert refused(ingest, event("checked-out", patient={"id": P1}, at="2024-09-17T09:00:00+02:00")).code \
        == "GROUP_TIME_INVALID"
    push(ingest, event("checked-out", patient={"id": P1}, at="2024-09-17T10:50:00+02:00"))
    first = record(ingest).participants[0]
    assert (first.checked_in, first.checked_out) == ("2024-09-17T09:59:00+02:00", "2024-09-17T10:50:00+02:00")
    assert refused(ingest, event("checked-in", patient={"id": P4}, at="2024-09-17T10:00:00+02:00")).code \
        == "GROUP_PATIENT_UNKNOWN"


def test_cancelled_whole_or_one_patient(ingest: BookingIngest) -> None:
    booked(ingest, P1, P2)
    push(ingest, event("cancelled", by="pat", patient={"id": P1}, reason="Syk"))
    one = record(ingest)
    assert one.status == "booked"
    assert (one.participants[0].status, one.participants[0].attendance, one.participants[0].cancelled_by) == \
        ("declined", "cancelled", "pat")
    assert refused(ingest, event("checked-in", patient={"id": P1}, at="2024-09-17T10:00:00+02:00")).code \
        == "GROUP_PATIENT_CANCELLED"
    [appointment] = push(ingest, event("cancelled", by="prov", reason="Behandler syk"))
    assert appointment["status"] == "cancelled"
    assert appointment["cancelationReason"]["coding"][0]["code"] == "prov"
    again = push(ingest, event("cancelled", "2024-09-03T10:00:00+02:00", by="prov"))
    assert again[0]["meta"]["versionId"] == appointment["meta"]["versionId"]  # cancelling twice: no change
    assert refused(ingest, event("moved", start="2024-09-18T10:00:00+02:00", end="2024-09-18T11:00:00+02:00")) \
        .code == "GROUP_CLOSED"
    AppointmentR4.model_validate(appointment)


def test_copy_brings_the_patients_still_booked(ingest: BookingIngest) -> None:
    booked(ingest, P1, P2, P3)
    push(ingest, event("cancelled", by="pat", patient={"id": P2}))
    push(ingest, event("checked-in", patient={"id": P1}, at="2024-09-17T10:00:00+02:00"))
    copy = event("copied", "2024-09-10T12:00:00+02:00", newGroupAppointmentId="GT-TEST-2",
                 start="2024-09-24T10:00:00+02:00", end="2024-09-24T11:00:00+02:00")
    [appointment] = push(ingest, copy)
    assert appointment["id"] == group_appointment_id(CLINIC["herId"], "GT-TEST-2") != APPOINTMENT
    copied = record(ingest, appointment["id"])
    assert [(p.patient.value, p.status, p.checked_in) for p in copied.participants] == [(P1, "accepted", None),
                                                                                        (P3, "accepted", None)]
    assert (copied.status, copied.capacity, copied.copied_from, copied.created_at) == (
        "booked", 3, GROUP, "2024-09-10T12:00:00+02:00")
    assert refused(ingest, {**copy, "start": "2024-09-25T10:00:00+02:00", "end": "2024-09-25T11:00:00+02:00"}) \
        .code == "GROUP_EXISTS"
    # the copy's own five-minute window starts at the copy
    push(ingest, event("deleted", "2024-09-10T12:03:00+02:00", group="GT-TEST-2"))
    assert record(ingest, appointment["id"]).status == "entered-in-error"
    assert record(ingest).status == "arrived"


# ------------------------------------------------------------------ finishing


def test_finish_attendance_encounters_and_note(ingest: BookingIngest) -> None:
    booked(ingest, P1, P2, P3)
    push(ingest, event("checked-in", patient={"id": P1}, at="2024-09-17T09:55:00+02:00"))
    resources = push(ingest, finished(
        {"patient": {"id": P1}, "diagnosis": {"system": "ICPC-2", "code": "L03"}, "exemptionCode": "F"},
        {"patient": {"id": P2}, "attended": False},
        {"patient": {"id": P3}, "bill": False}))
    [appointment] = by_type(resources, "Appointment")
    encounters = by_type(resources, "Encounter")
    assert appointment["status"] == "fulfilled"
    assert sorted(e["subject"]["identifier"]["value"] for e in encounters) == sorted([P1, P3])
    first = next(e for e in encounters if e["subject"]["identifier"]["value"] == P1)
    assert first["period"] == {"start": "2024-09-17T09:55:00+02:00", "end": "2024-09-17T11:00:00+02:00"}
    assert first["class"]["code"] == "AMB" and first["status"] == "finished"
    assert first["appointment"] == [{"reference": f"Appointment/{APPOINTMENT}"}]
    for resource in encounters:
        EncounterR4.model_validate(resource)
    AppointmentR4.model_validate(appointment)
    finished_record = record(ingest)
    assert finished_record.group_note == "Felles gruppenotat" and finished_record.actor is not None
    stored = ingest.store.read("Encounter", first["id"])
    assert stored is not None and decode_stored(stored).note == "Felles gruppenotat"
    assert [(p.attendance, p.bill) for p in finished_record.participants] == [("attended", True),
                                                                             ("noshow", False),
                                                                             ("attended", False)]
    assert refused(ingest, finished()).code == "GROUP_CLOSED"


def test_nobody_came_is_noshow_without_encounters(ingest: BookingIngest) -> None:
    booked(ingest, P1, P2)
    resources = push(ingest, finished({"patient": {"id": P1}, "attended": False},
                                      {"patient": {"id": P2}, "attended": False}))
    assert [r["resourceType"] for r in resources] == ["Appointment"]
    assert resources[0]["status"] == "noshow"
    error = conflict_of(lambda: draft_batch(record(ingest)))
    assert error.code == "GROUP_NO_BILLS"


def test_finish_in_r5(ingest: BookingIngest) -> None:
    booked(ingest, P1)
    resources = push(ingest, finished({"patient": {"id": P1}, "diagnosis": {"system": "ICD-10", "code": "M545"}}),
                     version=FhirVersion.R5)
    AppointmentR5.model_validate(by_type(resources, "Appointment")[0])
    [encounter] = by_type(resources, "Encounter")
    EncounterR5.model_validate(encounter)
    assert encounter["status"] == "completed" and encounter["reason"][0]["value"][0]["concept"]["text"] \
        == "ICD-10 M545"


@pytest.mark.parametrize(("doc", "code"), [
    (finished({"patient": {"id": P4}}), "GROUP_PATIENT_UNKNOWN"),
    (finished(tariffs=None), "GROUP_TARIFFS_MISSING"),
    (finished({"patient": {"id": P1}, "exemptionCode": "B"}), "GROUP_EXEMPTION_NOT_ALLOWED"),
])
def test_finish_refusals(ingest: BookingIngest, doc: dict[str, Any], code: str) -> None:
    booked(ingest, P1, P2)
    if doc.get("tariffs") is None:
        doc.pop("tariffs", None)
    assert refused(ingest, doc).code == code
    assert record(ingest).status == "booked"  # nothing of a refused finish is stored


def test_tariffs_on_a_group_without_helfo_tariffs_are_refused(ingest: BookingIngest) -> None:
    booked(ingest, P1, helfo=False)
    assert refused(ingest, finished()).code == "GROUP_TARIFFS_WITHOUT_HELFO"
    doc = finished()
    del doc["tariffs"]
    push(ingest, doc)
    assert conflict_of(lambda: draft_batch(record(ingest))).code == "GROUP_NOT_HELFO"


def test_a_cancelled_patient_cannot_be_ticked(ingest: BookingIngest) -> None:
    booked(ingest, P1, P2)
    push(ingest, event("cancelled", by="pat", patient={"id": P2}))
    assert refused(ingest, finished({"patient": {"id": P2}})).code == "GROUP_PATIENT_CANCELLED"
    push(ingest, finished())
    assert [p.attendance for p in record(ingest).participants] == ["attended", "cancelled"]
