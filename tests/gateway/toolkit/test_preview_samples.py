"""Preview of every sample: the same Bundle as `nordgate map` (so as the expected file), and a trace
that covers every coded and identifier element with a named origin."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from gateway.bootstrap.inbound import inbound
from gateway.fhir.common import FhirVersion
from gateway.fhir.mappings import MappingSet, load_mappings
from gateway.primitives.errors import NordgateError
from gateway.primitives.resources import mappings_dir
from gateway.toolkit.golden import GoldenCase, diff, discover, mask
from gateway.toolkit.mapper import outcome_for
from gateway.toolkit.preview import Message, Preview, preview
from gateway.trace.fields import walk
from tests.conftest import SAMPLES

CASES = list(discover(SAMPLES))


@pytest.fixture(scope="module")
def mappings() -> MappingSet:
    return load_mappings(mappings_dir())


def _preview(case: GoldenCase, mappings: MappingSet) -> Preview | dict[str, Any]:
    try:
        return preview(Message(case.input.read_bytes(), case.input.name),
                       given=[Message(path.read_bytes(), path.name) for path in case.given],
                       source=case.source, version=FhirVersion(case.fhir_version), mappings=mappings,
                       inbound=inbound())
    except NordgateError as error:
        return outcome_for(error)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_preview_bundle_is_the_expected_output_and_fully_traced(case: GoldenCase, mappings: MappingSet) -> None:
    result = _preview(case, mappings)
    actual = result.bundle if isinstance(result, Preview) else result
    expected = orjson.loads(case.expected.read_bytes())
    assert diff(mask(expected), mask(actual)) == []
    if not isinstance(result, Preview):
        return
    traced = {(entry["resource"], entry["path"]) for entry in result.trace}
    for item in result.bundle["entry"]:
        resource = item["resource"]
        name = f"{resource['resourceType']}/{resource['id']}"
        for path, _, _ in walk(resource):
            if path.startswith("meta"):
                continue
            assert (name, path) in traced, f"{name} {path} is not traced"
    for entry in result.trace:
        assert entry["by"] != {"rule": "(not named)"}, entry
        assert entry["field"], entry
