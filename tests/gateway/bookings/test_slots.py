"""A booking of a published free time takes its Slot (gateway/bookings/slots.py), through the ingest
pipeline as POST /bookings and the SOAP MakeBooking run it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.bootstrap.inbound import booking_ingest
from gateway.bootstrap.stores import open_store
from gateway.domain.schedule_records import SlotRecord
from gateway.fhir.kinds import decode_stored
from gateway.fhir.mappings import load_mappings
from gateway.ingest.pipeline import BookingIngest
from gateway.ports.store import Condition
from gateway.primitives.errors import Conflict
from gateway.primitives.resources import mappings_dir
from tests.adapters.inbound.crm_scheduling.messages import (
    cancel_booking,
    make_booking,
    timeslot,
    update_booking,
)
from tests.database import store_url_for

NINE = ("20261201090000", "20261201093000")
TEN = ("20261201100000", "20261201103000")


def free_times(*slots: str) -> bytes:
    """A GetAvailableTimeslotsResponse: the free times a booking system publishes."""
    details = "".join(f"<r:timeslotDetail>{slot}</r:timeslotDetail>" for slot in slots)
    return ('<r:GetAvailableTimeslotsResponse xmlns:r="urn:riv:crm:scheduling:GetAvailableTimeslotsResponder:1" '
            f'xmlns:core="urn:riv:crm:scheduling:1">{details}</r:GetAvailableTimeslotsResponse>').encode()


@pytest.fixture
def ingest(tmp_path: Path) -> Iterator[BookingIngest]:
    store = open_store(store_url_for(tmp_path))
    ingest = booking_ingest(store, load_mappings(mappings_dir()), base_url="http://x/fhir")
    # Two published free times of the unit (no performer: the unit's own schedule).
    ingest.push(free_times(timeslot(None, *NINE, subject=None), timeslot(None, *TEN, subject=None)), source="pas")
    yield ingest
    store.close()


def statuses(ingest: BookingIngest) -> dict[str, str]:
    page = ingest.store.search("Slot", [Condition("status", "eq", ("free", "busy"))], count=10, offset=0)
    slots = [decode_stored(stored) for stored in page.items]
    return {slot.start[11:16]: slot.status for slot in slots if isinstance(slot, SlotRecord)}


def test_a_booking_takes_its_slot_and_a_second_one_is_refused(ingest: BookingIngest) -> None:
    assert statuses(ingest) == {"09:00": "free", "10:00": "free"}
    ingest.push(make_booking(timeslot("B-1", *NINE)), source="pas")
    assert statuses(ingest) == {"09:00": "busy", "10:00": "free"}
    with pytest.raises(Conflict) as caught:
        ingest.push(make_booking(timeslot("B-2", *NINE, subject="201212121212")), source="pas")
    assert caught.value.code == "SLOT_TAKEN"
    assert statuses(ingest) == {"09:00": "busy", "10:00": "free"}  # the refused booking stored nothing


def test_a_resend_of_the_same_booking_keeps_its_slot(ingest: BookingIngest) -> None:
    ingest.push(make_booking(timeslot("B-1", *NINE)), source="pas")
    ingest.push(make_booking(timeslot("B-1", *NINE, extra="<core:purpose>Kontroll</core:purpose>")), source="pas")
    assert statuses(ingest) == {"09:00": "busy", "10:00": "free"}


def test_reschedule_moves_and_cancel_frees(ingest: BookingIngest) -> None:
    ingest.push(make_booking(timeslot("B-1", *NINE)), source="pas")
    ingest.push(update_booking(timeslot("B-1", *TEN)), source="pas")
    assert statuses(ingest) == {"09:00": "free", "10:00": "busy"}
    ingest.push(cancel_booking("B-1"), source="pas")
    assert statuses(ingest) == {"09:00": "free", "10:00": "free"}


def test_a_time_without_a_published_slot_is_still_booked(ingest: BookingIngest) -> None:
    ingest.push(make_booking(timeslot("B-1", "20261201140000", "20261201143000")), source="pas")
    assert statuses(ingest) == {"09:00": "free", "10:00": "free"}
