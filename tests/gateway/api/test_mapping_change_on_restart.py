"""A changed map file takes effect on restart, without touching code and without re-ingesting.

Resources are stored version-neutral and rendered on read, so the SAME stored Appointment shows the
new target code once a new app (the restart) has loaded the changed map; $translate answers it too.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import orjson
from fastapi.testclient import TestClient

from gateway.api import create_app
from gateway.config.settings import Settings, load_settings
from gateway.primitives.resources import mappings_dir
from tests.adapters.inbound.crm_scheduling.messages import make_booking, timeslot
from tests.auth_helpers import DEFAULT_CLIENT
from tests.database import database_url_for
from tests.gateway.api.test_bookings_api import push

TIME_TYPE = "https://nordgate.dev/fhir/CodeSystem/crm-scheduling-time-type"
V2_0276 = "http://terminology.hl7.org/CodeSystem/v2-0276"


def appointment_type(appointment: dict[str, Any]) -> list[str]:
    return [coding["code"] for coding in appointment["appointmentType"]["coding"] if coding["system"] == V2_0276]


def translated(client: TestClient) -> list[str]:
    body = client.get("/fhir/ConceptMap/crm-time-type/$translate", params={"system": TIME_TYPE, "code": "ATB"}).json()
    return [part["valueCoding"]["code"] for parameter in body["parameter"] if parameter["name"] == "match"
            for part in parameter["part"] if part["name"] == "concept"]


def settings_for(tmp_path: Path, maps: Path) -> Settings:
    return load_settings(database_url=database_url_for(tmp_path), public_base_url="http://testserver/fhir",
                         mappings_dir=maps)


def test_a_changed_map_shows_on_the_same_stored_appointment_after_restart(tmp_path: Path) -> None:
    maps = tmp_path / "mappings"
    shutil.copytree(mappings_dir(), maps)

    with TestClient(create_app(settings_for(tmp_path, maps)), headers=DEFAULT_CLIENT.headers) as before:
        pushed = push(before, make_booking(timeslot(extra="<core:timeTypeID>ATB</core:timeTypeID>")))
        assert pushed.status_code == 200, pushed.text
        appointment_id = pushed.json()["entry"][0]["resource"]["id"]
        first = before.get(f"/fhir/Appointment/{appointment_id}")
        assert appointment_type(first.json()) == ["FOLLOWUP"]
        assert translated(before) == ["FOLLOWUP"]

    # An integration engineer edits the map file: ATB is a check-up from now on. No code changes.
    path = maps / "crm-time-type.json"
    concept_map = orjson.loads(path.read_bytes())
    for element in concept_map["group"][0]["element"]:
        if element["code"] == "ATB":
            element["target"][0].update(code="CHECKUP", display="A routine check-up, such as an annual physical")
    path.write_bytes(orjson.dumps(concept_map, option=orjson.OPT_INDENT_2))

    # The restart, same database.
    with TestClient(create_app(settings_for(tmp_path, maps)), headers=DEFAULT_CLIENT.headers) as after:
        again = after.get(f"/fhir/Appointment/{appointment_id}")
        assert again.status_code == 200
        assert again.headers["etag"] == first.headers["etag"]  # the same stored version, rendered anew
        assert appointment_type(again.json()) == ["CHECKUP"]
        assert translated(after) == ["CHECKUP"]
        served = after.get("/fhir/ConceptMap/crm-time-type").json()
        assert [e["target"][0]["code"] for e in served["group"][0]["element"] if e["code"] == "ATB"] == ["CHECKUP"]
