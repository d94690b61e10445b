"""Booking rules on stored state, through the ingest pipeline on an in-memory store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from gateway.bootstrap.inbound import booking_ingest
from gateway.bootstrap.stores import open_store
from gateway.fhir.mappings import load_mappings
from gateway.ingest.pipeline import BookingIngest
from gateway.primitives.errors import Conflict, NordgateError, Unprocessable
from gateway.primitives.resources import mappings_dir
from tests.adapters.inbound.crm_scheduling.messages import (
    cancel_booking,
    make_booking,
    schedule_response,
    timeslot,
    update_booking,
)
from tests.database import store_url_for


@pytest.fixture
def ingest(tmp_path: Path) -> Iterator[BookingIngest]:
    store = open_store(store_url_for(tmp_path))
    yield booking_ingest(store, load_mappings(mappings_dir()), base_url="http://x/fhir")
    store.close()


def push(ingest: BookingIngest, body: bytes, source: str = "pas") -> dict[str, dict[str, Any]]:
    entries = orjson.loads(ingest.push(body, source=source).body)["entry"]
    return {entry["resource"]["resourceType"]: entry for entry in entries}


def refused(ingest: BookingIngest, body: bytes, source: str = "pas") -> NordgateError:
    with pytest.raises(NordgateError) as caught:
        ingest.push(body, source=source)
    return caught.value


def test_a_booking_cannot_move_to_another_patient(ingest: BookingIngest) -> None:
    push(ingest, make_booking())
    error = refused(ingest, update_booking(timeslot(subject="201212121212")))
    assert isinstance(error, Conflict) and error.code == "BOOKING_PATIENT_MISMATCH"


def test_reschedule_of_unknown_or_cancelled_bookings(ingest: BookingIngest) -> None:
    error = refused(ingest, update_booking(timeslot("UNKNOWN")))
    assert isinstance(error, Unprocessable) and error.code == "BOOKING_UNKNOWN"
    push(ingest, make_booking())
    push(ingest, cancel_booking())
    assert refused(ingest, update_booking(timeslot())).code == "BOOKING_CANCELLED"


def test_cancelling_twice_is_idempotent(ingest: BookingIngest) -> None:
    push(ingest, make_booking())
    first = push(ingest, cancel_booking())["Appointment"]
    second = push(ingest, cancel_booking(message="Annat"))["Appointment"]
    assert first["resource"]["meta"]["versionId"] == second["resource"]["meta"]["versionId"] == "2"
    assert second["response"]["status"] == "200 OK"


def test_an_existing_booking_cannot_become_an_invitation(ingest: BookingIngest) -> None:
    push(ingest, make_booking())
    error = refused(ingest, make_booking(timeslot(start=None, end=None, invitation=True)))
    assert error.code == "INVITATION_ON_EXISTING_BOOKING"


def test_the_same_answer_twice_is_idempotent(ingest: BookingIngest) -> None:
    push(ingest, make_booking(timeslot("INV", start=None, end=None, invitation=True)))
    first = push(ingest, make_booking(timeslot("INV")), source="1177")
    again = push(ingest, make_booking(timeslot("INV")).replace(b"<mb:requestedTimeslot>", b"<mb:requestedTimeslot> "),
                 source="1177")
    version = again["Appointment"]["resource"]["meta"]["versionId"]
    assert version == first["Appointment"]["resource"]["meta"]["versionId"]
    assert again["AppointmentResponse"]["response"]["status"] == "200 OK"
    origin = [e for e in again["Appointment"]["resource"]["extension"] if e["url"].endswith("booking-origin")]
    assert origin[0]["valueCode"] == "open-invitation"


def test_self_booking_from_1177_is_marked_as_the_citizens(ingest: BookingIngest) -> None:
    appointment = push(ingest, make_booking(), source="1177")["Appointment"]["resource"]
    origin = [e for e in appointment["extension"] if e["url"].endswith("booking-origin")]
    assert origin[0]["valueCode"] == "1177"


def test_a_refused_event_rolls_back_the_whole_message(ingest: BookingIngest) -> None:
    push(ingest, make_booking(timeslot("A")))
    schedule = schedule_response(timeslot("NEW"), timeslot("A", subject="201212121212"))
    assert refused(ingest, schedule).code == "BOOKING_PATIENT_MISMATCH"
    assert ingest.store.count("Appointment") == 1


def test_a_schedule_syncs_several_bookings(ingest: BookingIngest) -> None:
    schedule = schedule_response(timeslot("A"), timeslot("B"), timeslot("C", start=None, end=None, invitation=True))
    entries = orjson.loads(ingest.push(schedule, source="pas").body)["entry"]
    assert [entry["resource"]["status"] for entry in entries] == ["booked", "booked", "proposed"]
    assert ingest.store.count("Appointment") == 3


def test_a_minimal_answer_keeps_what_the_invitation_said(ingest: BookingIngest) -> None:
    details = ("<core:purpose>Hälsosamtal</core:purpose><core:timeTypeName>Kontrollbesök</core:timeTypeName>"
               "<core:timeTypeID>KONTROLL</core:timeTypeID>"
               "<core:cancel_booking_allowed>true</core:cancel_booking_allowed>")
    push(ingest, make_booking(timeslot("INV", start=None, end=None, invitation=True, extra=details)))
    answer = push(ingest, make_booking(timeslot("INV")), source="1177")["Appointment"]["resource"]
    assert answer["status"] == "booked" and answer["description"] == "Hälsosamtal"
    assert answer["appointmentType"]["coding"][0]["code"] == "CHECKUP"
    assert any(e["url"].endswith("cancel-booking-allowed") for e in answer["extension"])


def test_an_answer_booked_by_the_unit_is_not_counted_as_the_citizens(ingest: BookingIngest) -> None:
    push(ingest, make_booking(timeslot("INV", start=None, end=None, invitation=True)))
    booked = push(ingest, make_booking(timeslot("INV")), source="pas")
    origin = [e for e in booked["Appointment"]["resource"]["extension"] if e["url"].endswith("booking-origin")]
    assert origin[0]["valueCode"] == "pas"
    assert "care unit" in booked["AppointmentResponse"]["resource"]["comment"]


def test_a_stale_read_back_neither_revives_a_cancelled_booking_nor_reopens_an_answered_invitation(
        ingest: BookingIngest) -> None:
    push(ingest, make_booking(timeslot("A")))
    push(ingest, cancel_booking("A"))
    push(ingest, make_booking(timeslot("INV", start=None, end=None, invitation=True)))
    push(ingest, make_booking(timeslot("INV")), source="1177")
    stale = schedule_response(timeslot("A"), timeslot("INV", start=None, end=None, invitation=True))
    entries = orjson.loads(ingest.push(stale, source="pas").body)["entry"]
    assert [(e["resource"]["status"], e["response"]["status"]) for e in entries] == [
        ("cancelled", "200 OK"), ("booked", "200 OK")]


def test_a_read_back_with_a_time_for_an_open_invitation_is_its_answer(ingest: BookingIngest) -> None:
    push(ingest, make_booking(timeslot("INV", start=None, end=None, invitation=True)))
    entries = orjson.loads(ingest.push(schedule_response(timeslot("INV")), source="pas").body)["entry"]
    assert [e["resource"]["resourceType"] for e in entries] == ["Appointment", "AppointmentResponse"]
    assert entries[0]["resource"]["status"] == "booked"
