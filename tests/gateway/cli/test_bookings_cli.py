"""nordgate map / validate: exit codes, Bundle on stdout, OperationOutcome on stderr."""

from __future__ import annotations

from pathlib import Path

import orjson
from typer.testing import CliRunner

from gateway.cli import build_app
from tests.adapters.inbound.crm_scheduling.messages import make_booking, timeslot

runner = CliRunner()


def write(tmp_path: Path, name: str, body: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(body)
    return path


def test_map_prints_a_collection_bundle(tmp_path: Path) -> None:
    first = write(tmp_path, "a.xml", make_booking(timeslot("A")))
    second = write(tmp_path, "b.xml", make_booking(timeslot("B")))
    result = runner.invoke(build_app(), ["map", str(first), str(second), "--fhir-version", "5.0"])
    assert result.exit_code == 0, result.output
    bundle = orjson.loads(result.stdout)
    assert bundle["type"] == "collection" and len(bundle["entry"]) == 2


def test_map_with_given_state_prints_only_what_the_file_did(tmp_path: Path) -> None:
    invitation = write(tmp_path, "inv.xml", make_booking(timeslot("I", start=None, end=None, invitation=True)))
    answer = write(tmp_path, "answer.xml", make_booking(timeslot("I")))
    result = runner.invoke(build_app(), ["map", "--source", "1177", "--given", str(invitation), str(answer)])
    assert result.exit_code == 0, result.output
    types = [entry["resource"]["resourceType"] for entry in orjson.loads(result.stdout)["entry"]]
    assert types == ["Appointment", "AppointmentResponse"]


def test_map_of_an_invalid_message_prints_an_outcome_on_stderr(tmp_path: Path) -> None:
    bad = write(tmp_path, "gap.xml", make_booking(timeslot(start="20260329023000", end="20260329033000")))
    result = runner.invoke(build_app(), ["map", str(bad)])
    assert result.exit_code == 1
    assert result.stdout == ""
    outcome = orjson.loads(result.stderr)
    assert outcome["issue"][0]["details"]["coding"][0]["code"] == "TIME_NONEXISTENT"
    assert outcome["issue"][0]["location"] == ["gap.xml:/MakeBooking/requestedTimeslot/startTimeInclusive"]


def test_validate_reports_each_file(tmp_path: Path) -> None:
    good = write(tmp_path, "good.xml", make_booking())
    bad = write(tmp_path, "bad.xml", make_booking(timeslot(subject="191212121213")))
    result = runner.invoke(build_app(), ["validate", str(good), str(bad)])
    assert result.exit_code == 1
    assert f"{good}: ok (1 booking event(s): MakeBooking)" in result.stdout
    assert f"{bad}: INVALID SUBJECT_OF_CARE_CHECK_DIGIT" in result.stdout
    assert runner.invoke(build_app(), ["validate", str(good)]).exit_code == 0
