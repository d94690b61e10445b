"""ConceptMaps load and check at start-up; a broken one stops start-up naming the file and element."""

from __future__ import annotations

import shutil
from pathlib import Path

import orjson
import pytest

from gateway.bootstrap.inbound import required_maps
from gateway.bootstrap.runtime import build_runtime
from gateway.config.settings import load_settings
from gateway.fhir.mappings import load_mappings
from gateway.primitives.errors import ConfigurationError
from gateway.primitives.identifiers import IdentifierKind
from gateway.primitives.resources import mappings_dir
from gateway.toolkit.mapper import map_messages
from tests.adapters.inbound.crm_scheduling.messages import make_booking, timeslot
from tests.database import database_url_for


@pytest.fixture
def maps(tmp_path: Path) -> Path:
    folder = tmp_path / "mappings"
    shutil.copytree(mappings_dir(), folder)
    return folder


def edit(path: Path, change: object) -> None:
    data = orjson.loads(path.read_bytes())
    change(data)  # type: ignore[operator]
    path.write_bytes(orjson.dumps(data))


def test_shipped_maps_load_and_translate() -> None:
    mappings = load_mappings(mappings_dir(), required=required_maps())
    translation = mappings.translate("crm-time-type", "ATB")
    assert translation is not None and translation.code == "FOLLOWUP"
    assert translation.entry.startswith("group[0].element[")
    assert mappings.translate("crm-time-type", "NO-SUCH") is None
    assert mappings.identifier_system(IdentifierKind.HSA_ID) == "urn:oid:1.2.752.29.4.19"


@pytest.mark.parametrize("file,change,where", [
    ("crm-time-type.json", lambda d: d["group"][0]["element"][3]["target"][0].pop("code"),
     "group[0].element[3].target[0].code"),
    ("crm-care-type.json", lambda d: d["group"][0]["element"].append(dict(d["group"][0]["element"][0])),
     "group[0].element[7].code"),
    ("cancellation-origin.json", lambda d: d["group"][0]["element"][0]["target"][0].update(equivalence="same"),
     "group[0].element[0].target[0].equivalence"),
    ("crm-time-type.json", lambda d: d.update(id="other"), "id"),
    ("crm-time-type.json", lambda d: d.update(status="live"), "status"),
    ("identifier-systems.json", lambda d: d["systems"].pop("hsa-id"), "systems.hsa-id"),
])
def test_a_broken_map_names_file_and_element(maps: Path, file: str, change: object, where: str) -> None:
    edit(maps / file, change)
    with pytest.raises(ConfigurationError) as caught:
        load_mappings(maps, required=required_maps())
    assert caught.value.code == "MAPPING_INVALID"
    assert file in caught.value.message and where in caught.value.message


def test_invalid_fhir_is_refused_even_when_the_shape_checks_pass(maps: Path) -> None:
    edit(maps / "crm-time-type.json", lambda d: d.update(date="not a date"))
    with pytest.raises(ConfigurationError) as caught:
        load_mappings(maps)
    assert "crm-time-type.json" in caught.value.message and "date" in caught.value.message


def test_not_json_and_missing_required_maps(maps: Path) -> None:
    (maps / "crm-care-type.json").write_text("{ not json")
    with pytest.raises(ConfigurationError) as caught:
        load_mappings(maps)
    assert "crm-care-type.json" in caught.value.message
    (maps / "crm-care-type.json").unlink()
    with pytest.raises(ConfigurationError) as caught:
        load_mappings(maps, required=required_maps())
    assert caught.value.code == "MAPPING_MISSING"


def test_start_up_stops_on_a_broken_map(maps: Path, tmp_path: Path) -> None:
    edit(maps / "crm-time-type.json", lambda d: d["group"][0].pop("target"))
    settings = load_settings(database_url=database_url_for(tmp_path, "x.db"), mappings_dir=maps)
    with pytest.raises(ConfigurationError) as caught:
        build_runtime(settings)
    assert "crm-time-type.json" in caught.value.message and "group[0].target" in caught.value.message


def test_a_changed_map_takes_effect_without_code(maps: Path) -> None:
    message = maps.parent / "booking.xml"
    message.write_bytes(make_booking(timeslot(extra="<core:timeTypeID>ATB</core:timeTypeID>")))
    before = map_messages([message], given=[], source="pas", fhir_version="4.0", mappings_dir=maps)
    edit(maps / "crm-time-type.json",
         lambda d: d["group"][0]["element"][1]["target"][0].update(code="CHECKUP", display="A routine check-up"))
    after = map_messages([message], given=[], source="pas", fhir_version="4.0", mappings_dir=maps)
    code = lambda bundle: bundle["entry"][0]["resource"]["appointmentType"]["coding"][0]["code"]  # noqa: E731
    assert (code(before), code(after)) == ("FOLLOWUP", "CHECKUP")
