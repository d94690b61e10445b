"""Every sample under samples/ maps to exactly its expected FHIR, and that FHIR is valid."""

from __future__ import annotations

from typing import Any

import pytest
from fhir.resources.bundle import Bundle as BundleR5
from fhir.resources.operationoutcome import OperationOutcome as OperationOutcomeR5
from fhir.resources.R4B.bundle import Bundle as BundleR4
from fhir.resources.R4B.operationoutcome import OperationOutcome as OperationOutcomeR4

from gateway.toolkit.golden import GoldenCase, discover, run_case, write_expected
from tests.conftest import SAMPLES

CASES = list(discover(SAMPLES))


def test_there_are_golden_cases_for_crm_scheduling() -> None:
    assert len([case for case in CASES if case.input.parent.name == "crm-scheduling"]) >= 15


def _validate(data: dict[str, Any], fhir_version: str) -> None:
    if data["resourceType"] == "OperationOutcome":
        (OperationOutcomeR4 if fhir_version == "4.0" else OperationOutcomeR5).model_validate(data)
        return
    (BundleR4 if fhir_version == "4.0" else BundleR5).model_validate(data)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_sample_maps_to_its_golden_output(case: GoldenCase, update_golden: bool) -> None:
    result = run_case(case)
    if update_golden and not result.passed:
        print(f"updating {case.expected}:\n  " + "\n  ".join(str(d) for d in result.differences))
        write_expected(result)
        return
    assert result.passed, f"{case.name} differs from {case.expected.name}:\n  " + "\n  ".join(
        str(difference) for difference in result.differences)
    _validate(result.actual, case.fhir_version)
