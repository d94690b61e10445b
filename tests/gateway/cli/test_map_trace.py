"""``nordgate map --trace``: the same object as POST /preview, for one file after its given ones."""

from __future__ import annotations

import orjson
from typer.testing import CliRunner

from gateway.cli import build_app
from gateway.toolkit.golden import diff, mask
from tests.conftest import SAMPLES

runner = CliRunner()
CRM = SAMPLES / "crm-scheduling"


def test_trace_prints_bundle_and_trace() -> None:
    result = runner.invoke(build_app(), ["map", "--trace", str(CRM / "01-make-booking-soap.xml")])
    assert result.exit_code == 0, result.output
    body = orjson.loads(result.stdout)
    assert list(body) == ["format", "events", "bundle", "trace"]
    expected = orjson.loads((CRM / "01-make-booking-soap.expected.json").read_bytes())
    assert diff(mask(expected), mask(body["bundle"])) == []
    assert any(entry["source"] == "/MakeBooking/requestedTimeslot/timeTypeID"
               and entry["by"].get("conceptMap") == "crm-time-type" for entry in body["trace"])


def test_trace_with_given_and_refusal() -> None:
    answer = runner.invoke(build_app(), ["map", "--trace", "--source", "1177", "--given",
                                         str(CRM / "09-open-invitation.xml"),
                                         str(CRM / "10-open-invitation-answer-1177.xml")])
    assert answer.exit_code == 0, answer.output
    assert {entry["resource"].split("/")[0] for entry in orjson.loads(answer.stdout)["trace"]} == {
        "Appointment", "AppointmentResponse"}
    refused = runner.invoke(build_app(), ["map", "--trace", str(CRM / "21-make-booking-invalid-personnummer.xml")])
    assert refused.exit_code == 1
    assert "21-make-booking-invalid-personnummer.xml:" in refused.stderr


def test_trace_takes_one_file() -> None:
    result = runner.invoke(build_app(), ["map", "--trace", str(CRM / "01-make-booking-soap.xml"),
                                         str(CRM / "02-make-booking-bare-default-namespace.xml")])
    assert result.exit_code == 2
