"""Steps of the Norwegian group-appointment rule tests: push events through the ingest pipeline on a
fresh store and read what it stored."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
import pytest

from gateway.domain.group_records import GroupSessionRecord
from gateway.fhir.common import FhirVersion
from gateway.fhir.kinds import decode_stored
from gateway.groups.no_service import group_appointment_id
from gateway.ingest.pipeline import BookingIngest
from gateway.primitives.errors import Conflict, NordgateError
from tests.adapters.inbound.no_group.events import CLINIC, GROUP, added, body, created

APPOINTMENT = group_appointment_id(CLINIC["herId"], GROUP)


def push(ingest: BookingIngest, doc: dict[str, Any], version: FhirVersion = FhirVersion.R4) -> list[dict[str, Any]]:
    return [entry["resource"] for entry in orjson.loads(ingest.push(body(doc), source="pas", version=version).body)
            ["entry"]]


def refused(ingest: BookingIngest, doc: dict[str, Any]) -> NordgateError:
    with pytest.raises(NordgateError) as caught:
        ingest.push(body(doc), source="pas")
    return caught.value


def record(ingest: BookingIngest, appointment: str = APPOINTMENT) -> GroupSessionRecord:
    stored = ingest.store.read("Appointment", appointment)
    assert stored is not None
    found = decode_stored(stored)
    assert isinstance(found, GroupSessionRecord)
    return found


def booked(ingest: BookingIngest, *patients: str, **created_args: Any) -> None:
    push(ingest, created(**created_args))
    if patients:
        push(ingest, added(*patients, group=created_args.get("group", GROUP)))


def by_type(resources: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [r for r in resources if r["resourceType"] == kind]


def conflict_of(call: Callable[[], object]) -> Conflict:
    with pytest.raises(Conflict) as caught:
        call()
    return caught.value
