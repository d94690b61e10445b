"""The samples the playground offers: exactly the cases the golden runner discovers, nothing else.

A sample is named by its path relative to the samples folder (``crm-scheduling/01-make-booking-soap.xml``);
only names in the discovered table are ever opened, so no request can reach another file.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from gateway.bootstrap.inbound import inbound
from gateway.primitives.errors import ConfigurationError, NotFound
from gateway.primitives.resources import data_dir
from gateway.toolkit.golden import GoldenCase, diff, discover, mask

__all__ = ["Sample", "compare", "find_sample", "sample_details", "samples", "samples_folder"]

JSON = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Sample:
    path: str          # relative to the samples folder, with "/"
    format: str
    case: GoldenCase

    def summary(self) -> JSON:
        return {"path": self.path, "name": self.case.input.name, "format": self.format,
                "source": self.case.source, "fhirVersion": self.case.fhir_version,
                "given": [given.name for given in self.case.given]}


def samples_folder() -> Path | None:
    """``samples/`` of a source checkout; an installed wheel ships none (the playground then only pastes)."""
    try:
        return data_dir("samples")
    except ConfigurationError:
        return None


@functools.lru_cache(maxsize=4)
def _discovered(folder: Path) -> dict[str, Sample]:
    found: dict[str, Sample] = {}
    registry = inbound().registry
    for case in discover(folder):
        path = case.input.relative_to(folder).as_posix()
        found[path] = Sample(path, registry.detect(case.input.read_bytes()), case)
    return found


def samples(folder: Path | None) -> list[Sample]:
    return list(_discovered(folder).values()) if folder is not None else []


def find_sample(folder: Path | None, path: str) -> Sample:
    sample = _discovered(folder).get(path) if folder is not None else None
    if sample is None:
        raise NotFound("SAMPLE_UNKNOWN", f"no sample {path!r}; GET /playground/samples lists them")
    return sample


def sample_details(sample: Sample) -> JSON:
    """The message, its case options (with the given messages' text) and its expected output."""
    case = sample.case
    return {
        **sample.summary(),
        "message": case.input.read_text(encoding="utf-8"),
        "options": {"source": case.source, "fhirVersion": case.fhir_version,
                    "given": [{"name": path.name, "message": path.read_text(encoding="utf-8")}
                              for path in case.given]},
        "expected": orjson.loads(case.expected.read_bytes()),
    }


def compare(sample: Sample, actual: Any) -> JSON:
    """The golden runner's comparison (``meta.lastUpdated`` masked) of ``actual`` with the expected file."""
    expected = orjson.loads(sample.case.expected.read_bytes())
    differences = diff(mask(expected), mask(actual))
    return {"sample": sample.path, "passed": not differences,
            "differences": [{"path": difference.path, "text": str(difference)} for difference in differences]}
