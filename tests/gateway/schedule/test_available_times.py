"""Available times into Schedules and Slots: parsing, ids, the replacement rule, R4/R5 validity."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from fhir.resources.bundle import Bundle as BundleR5
from fhir.resources.R4B.bundle import Bundle as BundleR4

from gateway.bootstrap.inbound import booking_ingest, inbound
from gateway.bootstrap.stores import open_store
from gateway.domain.availability import AvailableTimeslots
from gateway.fhir.common import FhirVersion
from gateway.fhir.kinds import render_stored
from gateway.fhir.mappings import load_mappings
from gateway.ingest.pipeline import BookingIngest
from gateway.ports.store import Store
from gateway.primitives.errors import NordgateError
from gateway.primitives.resources import mappings_dir
from gateway.schedule.service import schedule_id, slot_id
from gateway.schedule.slot_days import INDEX_TYPE
from tests.adapters.inbound.crm_scheduling.available import PERFORMER, available_response, free_slot
from tests.adapters.inbound.crm_scheduling.messages import UNIT, soap
from tests.database import store_url_for

parse_message = inbound().registry.parse

OTHER = "SE2321000131-P000000000999"
STOCKHOLM = dt.timezone(dt.timedelta(hours=1))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = open_store(store_url_for(tmp_path))
    yield store
    store.close()


@pytest.fixture
def ingest(store: Store) -> BookingIngest:
    return booking_ingest(store, load_mappings(mappings_dir()), base_url="http://x/fhir")


def push(ingest: BookingIngest, body: bytes, version: FhirVersion = FhirVersion.R4) -> list[dict[str, Any]]:
    bundle = orjson.loads(ingest.push(body, source="pas", version=version).body)
    (BundleR4 if version is FhirVersion.R4 else BundleR5).model_validate(bundle)
    return [entry["resource"] for entry in bundle["entry"]]


def slot_of(ingest: BookingIngest, start: str, end: str, performer: str = PERFORMER) -> dict[str, Any]:
    moments = [dt.datetime.strptime(text, "%Y%m%d%H%M%S").replace(tzinfo=STOCKHOLM) for text in (start, end)]
    stored = ingest.store.read("Slot", slot_id(schedule_id(UNIT, performer, None), *moments))
    assert stored is not None, f"no slot {start}"
    return render_stored(stored, ingest.mappings, FhirVersion.R4)


def test_the_response_is_one_event_with_every_free_time() -> None:
    body = soap(available_response(free_slot("20260302083000", "20260302090000"),
                                   free_slot("20260303100000", "20260303103000", performer=None)))
    [event] = parse_message(body, source="pas")
    assert isinstance(event, AvailableTimeslots)
    assert [slot.start.isoformat() for slot in event.slots] == ["2026-03-02T08:30:00+01:00",
                                                                "2026-03-03T10:00:00+01:00"]
    assert event.days == (dt.date(2026, 3, 2), dt.date(2026, 3, 3))


@pytest.mark.parametrize(("slot", "code"), [
    (free_slot("20260302083000", "20260302090000", extra="<core:subject_of_care>191212121212</core:subject_of_care>"),
     "AVAILABLE_TIME_HAS_PATIENT"),
    ("<core:healthcare_facility>" + UNIT + "</core:healthcare_facility>", "TIMESLOT_TIME_MISSING"),
    (free_slot("20260329023000", "20260329030000"), "TIME_NONEXISTENT"),
])
def test_contract_rules_of_a_free_time(slot: str, code: str) -> None:
    with pytest.raises(NordgateError) as caught:
        parse_message(available_response(slot), source="pas")
    assert caught.value.code == code
    assert caught.value.location is not None and caught.value.location.startswith(
        "/GetAvailableTimeslotsResponse/timeslotDetail[1]")


def test_free_times_become_a_schedule_and_free_slots(ingest: BookingIngest) -> None:
    resources = push(ingest, available_response(free_slot("20260302083000", "20260302090000"),
                                                free_slot("20260302090000", "20260302093000")))
    schedule, *slots = resources
    assert schedule["resourceType"] == "Schedule" and schedule["id"] == schedule_id(UNIT, PERFORMER, None)
    assert [actor["identifier"]["value"] for actor in schedule["actor"]] == [UNIT, PERFORMER]
    assert schedule["planningHorizon"] == {"start": "2026-03-02T00:00:00+01:00", "end": "2026-03-03T00:00:00+01:00"}
    assert [(slot["status"], slot["start"], slot["schedule"]["reference"]) for slot in slots] == [
        ("free", "2026-03-02T08:30:00+01:00", f"Schedule/{schedule['id']}"),
        ("free", "2026-03-02T09:00:00+01:00", f"Schedule/{schedule['id']}"),
    ]
    assert slots[0]["appointmentType"]["coding"][0]["code"] == "ROUTINE"  # crm-time-type ConceptMap
    assert slots[0]["serviceType"][0]["coding"][0]["code"] == "NYB"


def test_the_same_answer_again_changes_nothing(ingest: BookingIngest) -> None:
    body = available_response(free_slot("20260302083000", "20260302090000"))
    push(ingest, body)
    # Other bytes (so the exact-replay receipt does not answer), the same content.
    resources = push(ingest, body.replace(b"<r:timeslotDetail>", b"<r:timeslotDetail> ", 1))
    assert [resource["meta"]["versionId"] for resource in resources] == ["1", "1"]


def test_a_later_answer_withdraws_what_it_no_longer_lists(ingest: BookingIngest) -> None:
    push(ingest, available_response(
        free_slot("20260302083000", "20260302090000"), free_slot("20260302090000", "20260302093000"),
        free_slot("20260304100000", "20260304103000"),                       # outside the later answer's days
        free_slot("20260302083000", "20260302090000", performer=OTHER)))     # another schedule
    push(ingest, available_response(free_slot("20260302090000", "20260302093000"),
                                    free_slot("20260303080000", "20260303083000")))
    assert slot_of(ingest, "20260302083000", "20260302090000")["status"] == "busy-unavailable"
    assert slot_of(ingest, "20260302083000", "20260302090000")["meta"]["versionId"] == "2"
    assert slot_of(ingest, "20260302090000", "20260302093000")["status"] == "free"
    assert slot_of(ingest, "20260303080000", "20260303083000")["status"] == "free"
    assert slot_of(ingest, "20260304100000", "20260304103000")["status"] == "free"
    assert slot_of(ingest, "20260302083000", "20260302090000", OTHER)["status"] == "free"
    # Listed again, the withdrawn time is free again (version 3).
    push(ingest, available_response(free_slot("20260302083000", "20260302090000")))
    again = slot_of(ingest, "20260302083000", "20260302090000")
    assert (again["status"], again["meta"]["versionId"]) == ("free", "3")
    assert slot_of(ingest, "20260302090000", "20260302093000")["status"] == "busy-unavailable"


def test_an_empty_answer_changes_nothing(ingest: BookingIngest) -> None:
    push(ingest, available_response(free_slot("20260302083000", "20260302090000")))
    assert push(ingest, available_response()) == []
    assert slot_of(ingest, "20260302083000", "20260302090000")["status"] == "free"


def test_the_planning_horizon_only_grows(ingest: BookingIngest) -> None:
    push(ingest, available_response(free_slot("20260302083000", "20260302090000"),
                                    free_slot("20260310083000", "20260310090000")))
    [schedule, *_] = push(ingest, available_response(free_slot("20260305083000", "20260305090000")))
    assert schedule["planningHorizon"] == {"start": "2026-03-02T00:00:00+01:00", "end": "2026-03-11T00:00:00+01:00"}
    assert schedule["meta"]["versionId"] == "1"


def test_r5_uses_codeable_references(ingest: BookingIngest) -> None:
    schedule, slot = push(ingest, available_response(free_slot("20260302083000", "20260302090000")),
                          FhirVersion.R5)
    assert schedule["serviceType"][0]["concept"]["coding"][0]["code"] == "NYB"
    assert slot["serviceType"][0]["concept"]["coding"][0]["code"] == "NYB"
    assert isinstance(slot["appointmentType"], list)


def test_the_day_index_is_bookkeeping_not_a_resource(ingest: BookingIngest, store: Store) -> None:
    resources = push(ingest, available_response(free_slot("20260302083000", "20260302090000")))
    assert {resource["resourceType"] for resource in resources} == {"Schedule", "Slot"}
    assert store.count(INDEX_TYPE) == 1
