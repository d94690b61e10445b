"""nordgate test-mappings and nordgate mappings check, on copies of the samples and maps in tmp dirs."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from gateway.cli import build_app
from gateway.fhir.mappings import load_mappings
from gateway.primitives.resources import mappings_dir
from tests.conftest import SAMPLES

runner = CliRunner()
CASE = "02-make-booking-bare-default-namespace"


@pytest.fixture
def samples(tmp_path: Path) -> Path:
    folder = tmp_path / "samples" / "crm-scheduling"
    shutil.copytree(SAMPLES / "crm-scheduling", folder)
    return folder


@pytest.fixture
def maps(tmp_path: Path) -> Path:
    folder = tmp_path / "mappings"
    shutil.copytree(mappings_dir(), folder)
    return folder


def edit(path: Path, change: Callable[[Any], None]) -> None:
    data = orjson.loads(path.read_bytes())
    change(data)
    path.write_bytes(orjson.dumps(data, option=orjson.OPT_INDENT_2))


def elements(data: Any) -> list[dict[str, Any]]:
    return data["group"][0]["element"]  # type: ignore[no-any-return]


def test_the_samples_pass_one_line_per_case(samples: Path) -> None:
    result = runner.invoke(build_app(), ["test-mappings", str(samples)])
    assert result.exit_code == 0, result.output
    assert f"PASS crm-scheduling/{CASE}\n" in result.output
    assert "\x1b[" not in result.output  # plain text when stdout is not a terminal
    assert result.output.rstrip().endswith("passed, 0 failed")


def test_a_broken_expected_file_fails_naming_the_path_and_update_fixes_it(samples: Path) -> None:
    expected = samples / f"{CASE}.expected.json"
    edit(expected, lambda bundle: bundle["entry"][0]["resource"]["appointmentType"]["coding"][0].update(
        code="CHECKUP"))
    appointment_id = orjson.loads(expected.read_bytes())["entry"][0]["resource"]["id"]

    failed = runner.invoke(build_app(), ["test-mappings", str(samples)])
    assert failed.exit_code == 1
    assert f"FAIL crm-scheduling/{CASE}" in failed.output
    assert f"in Appointment/{appointment_id}:" in failed.output
    assert 'entry[0].resource.appointmentType.coding[0].code: expected "CHECKUP", got "FOLLOWUP"' in failed.output

    updated = runner.invoke(build_app(), ["test-mappings", "--update", str(samples)])
    assert updated.exit_code == 0, updated.output
    # The diff is shown before the file is rewritten, then how many files changed.
    assert updated.output.index('expected "CHECKUP"') < updated.output.index("updated 1 file(s)")
    assert "FOLLOWUP" in expected.read_text()
    assert runner.invoke(build_app(), ["test-mappings", str(samples)]).exit_code == 0


def test_a_changed_map_is_tested_with_mappings_option(samples: Path, maps: Path) -> None:
    edit(maps / "crm-time-type.json", lambda data: [
        element["target"][0].update(code="CHECKUP") for element in elements(data) if element["code"] == "ATB"])
    result = runner.invoke(build_app(), ["test-mappings", str(samples), "--mappings", str(maps)])
    assert result.exit_code == 1
    assert 'appointmentType.coding[0].code: expected "FOLLOWUP", got "CHECKUP"' in result.output


def test_an_unreadable_expected_file_is_a_failure_not_a_crash(samples: Path) -> None:
    (samples / f"{CASE}.expected.json").write_text("{ not json")
    result = runner.invoke(build_app(), ["test-mappings", str(samples)])
    assert result.exit_code == 1
    assert f"FAIL crm-scheduling/{CASE}" in result.output and "unreadable" in result.output


def test_a_folder_without_cases_exits_1_and_says_so(tmp_path: Path) -> None:
    result = runner.invoke(build_app(), ["test-mappings", str(tmp_path)])
    assert result.exit_code == 1
    assert "no golden cases" in result.output


def test_shipped_maps_check_clean_and_list_the_unmapped_sample_code() -> None:
    result = runner.invoke(build_app(), ["mappings", "check"])
    assert result.exit_code == 0, result.output
    assert "0 error(s), 0 warning(s)" in result.output
    # Sample 20 carries time type HEMB on purpose: the listing names it, the sample and the path.
    assert ("UNMAPPED crm-scheduling/20-make-booking-unmapped-time-type: entry[0].resource.appointmentType.coding[0]"
            in result.output)
    assert "time-type|HEMB is not in crm-time-type-contact-mode.json, crm-time-type.json" in result.output


def check(maps: Path, *extra: str) -> Any:
    return runner.invoke(build_app(), ["mappings", "check", "--mappings", str(maps), *extra])


def test_a_target_code_not_in_its_system_is_an_error_naming_file_and_element(maps: Path) -> None:
    edit(maps / "crm-time-type.json", lambda data: elements(data)[1]["target"][0].update(code="FOLLOW-UP"))
    result = check(maps, "--no-samples")
    assert result.exit_code == 1
    assert ("ERROR crm-time-type.json: group[0].element[1].target[0].code: 'FOLLOW-UP' (for source code 'ATB') "
            "is not a code of http://terminology.hl7.org/CodeSystem/v2-0276") in result.output


def test_a_wrong_display_is_a_warning(maps: Path) -> None:
    edit(maps / "crm-care-type.json", lambda data: elements(data)[0]["target"][0].update(code="16"))
    result = check(maps, "--no-samples")
    assert result.exit_code == 0, result.output
    assert ("WARNING crm-care-type.json: group[0].element[0].target[0].display: 'General Practice' is not the "
            "display of http://terminology.hl7.org/CodeSystem/service-category|16") in result.output


def test_a_target_system_without_a_list_is_a_warning_not_an_error(maps: Path) -> None:
    edit(maps / "crm-care-type.json", lambda data: data["group"][0].update(target="http://example.org/categories"))
    result = check(maps, "--no-samples")
    assert result.exit_code == 0, result.output
    assert "WARNING crm-care-type.json: group[0].target: no list of known codes for http://example.org/categories" \
        in result.output


def test_a_duplicate_source_code_is_an_error(maps: Path) -> None:
    edit(maps / "crm-time-type.json", lambda data: elements(data).append(dict(elements(data)[0])))
    result = check(maps, "--no-samples")
    assert result.exit_code == 1
    assert "ERROR crm-time-type.json: group[0].element[8].code: source code 'NYB' is mapped twice" in result.output


def test_every_broken_map_is_named_not_only_the_first(maps: Path) -> None:
    edit(maps / "crm-care-type.json", lambda data: data.update(status="bogus"))
    edit(maps / "elvis-visit-type.json", lambda data: elements(data)[0]["target"][0].update(equivalence="same"))
    (maps / "no-appointment-type.json").write_text("{")
    result = check(maps, "--no-samples")
    assert result.exit_code == 1
    assert "ERROR crm-care-type.json: status:" in result.output
    assert "ERROR elvis-visit-type.json: group[0].element[0].target[0].equivalence:" in result.output
    assert "ERROR no-appointment-type.json: not valid JSON" in result.output


def test_a_map_that_is_not_valid_fhir_is_an_error(maps: Path) -> None:
    edit(maps / "crm-care-type.json", lambda data: data.update(date="yesterday"))
    result = check(maps, "--no-samples")
    assert result.exit_code == 1
    assert "ERROR crm-care-type.json: date: not valid FHIR R4 ConceptMap" in result.output


def test_a_code_removed_from_a_map_is_listed_as_unmapped_in_the_samples(maps: Path, samples: Path) -> None:
    edit(maps / "crm-time-type.json", lambda data: data["group"][0].update(
        element=[element for element in elements(data) if element["code"] != "ATB"]))
    result = check(maps, "--samples", str(samples))
    assert result.exit_code == 0, result.output  # unmapped codes are reported, not fatal
    assert (f"UNMAPPED crm-scheduling/{CASE}: entry[0].resource.appointmentType.coding[0] (Appointment/"
            in result.output)
    assert "crm-scheduling-time-type|ATB is not in crm-time-type.json" in result.output


def test_the_loader_ignores_the_terminology_folder(maps: Path) -> None:
    (maps / "terminology" / "junk.json").write_text("not a ConceptMap")
    assert load_mappings(maps).has("crm-time-type")
