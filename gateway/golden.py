"""Golden-file runner: sample messages beside the FHIR they must become.

A case is an input file ``samples/<format>/<case>.xml`` (or ``.json``) with ``<case>.expected.json`` beside it
(the Bundle ``nordgate map`` prints, or the OperationOutcome it prints for a refused message) and
optionally ``<case>.case.json`` with the options ``map`` is run with::

    {"source": "1177", "given": ["invitation.xml"], "fhirVersion": "5.0"}

Volatile fields (``meta.lastUpdated``) are masked before comparing. The pytest suite and
``nordgate test-mappings`` use this module; ``--update`` rewrites expected files.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from gateway.errors import NordgateError

__all__ = ["CaseResult", "Difference", "GoldenCase", "diff", "discover", "mask", "render_expected", "run_case"]

EXPECTED_SUFFIX = ".expected.json"
OPTIONS_SUFFIX = ".case.json"
MASK = "<masked>"
_VOLATILE = {("meta", "lastUpdated")}
_INPUT_SUFFIXES = (".xml", ".json")


@dataclass(frozen=True, slots=True)
class GoldenCase:
    input: Path
    expected: Path
    source: str = "pas"
    given: tuple[Path, ...] = ()
    fhir_version: str = "4.0"

    @property
    def name(self) -> str:
        return f"{self.input.parent.name}/{self.input.stem}"


@dataclass(frozen=True, slots=True)
class Difference:
    path: str
    expected: Any
    actual: Any

    def __str__(self) -> str:
        return f"{self.path}: expected {_short(self.expected)}, got {_short(self.actual)}"


@dataclass
class CaseResult:
    case: GoldenCase
    actual: dict[str, Any]  # unmasked: what map printed
    differences: list[Difference] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.differences


def _short(value: Any) -> str:
    text = "(absent)" if value is _ABSENT else orjson.dumps(value).decode()
    return text if len(text) <= 120 else text[:117] + "..."


_ABSENT = object()


def _options(path: Path) -> dict[str, Any]:
    options = path.with_name(path.stem + OPTIONS_SUFFIX)
    if not options.is_file():
        return {}
    data = orjson.loads(options.read_bytes())
    if not isinstance(data, dict):
        raise ValueError(f"{options} must hold a JSON object")
    return data


def discover(folder: Path) -> Iterator[GoldenCase]:
    """Every input under ``folder`` (recursively) that has an expected file beside it, sorted."""
    for path in sorted(folder.rglob("*")):
        if path.suffix not in _INPUT_SUFFIXES or not path.is_file() or path.name.endswith(
                (EXPECTED_SUFFIX, OPTIONS_SUFFIX)):
            continue
        expected = path.with_name(path.stem + EXPECTED_SUFFIX)
        if not expected.is_file():
            continue
        options = _options(path)
        yield GoldenCase(
            input=path, expected=expected, source=str(options.get("source", "pas")),
            given=tuple(path.parent / name for name in options.get("given", [])),
            fhir_version=str(options.get("fhirVersion", "4.0")),
        )


def mask(data: Any, trail: tuple[str, ...] = ()) -> Any:
    if isinstance(data, dict):
        return {key: MASK if (*trail[-1:], key) in _VOLATILE else mask(value, (*trail, key))
                for key, value in data.items()}
    if isinstance(data, list):
        return [mask(item, trail) for item in data]
    return data


def diff(expected: Any, actual: Any, path: str = "") -> list[Difference]:
    """Differences as FHIR-style paths (``entry[0].resource.status``)."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        found: list[Difference] = []
        for key in sorted(set(expected) | set(actual), key=str):
            child = f"{path}.{key}" if path else key
            found += diff(expected.get(key, _ABSENT), actual.get(key, _ABSENT), child)
        return found
    if isinstance(expected, list) and isinstance(actual, list):
        found = []
        for index in range(max(len(expected), len(actual))):
            found += diff(expected[index] if index < len(expected) else _ABSENT,
                          actual[index] if index < len(actual) else _ABSENT, f"{path}[{index}]")
        return found
    if expected is _ABSENT and actual is _ABSENT:
        return []
    if type(expected) is not type(actual) or expected != actual:
        return [Difference(path or "(root)", expected, actual)]
    return []


def run_case(case: GoldenCase, *, mappings_dir: Path | None = None) -> CaseResult:
    from gateway.cli.bookings import map_messages, outcome_for  # noqa: PLC0415 - avoids an import cycle

    try:
        actual = map_messages([case.input], given=list(case.given), source=case.source,
                              fhir_version=case.fhir_version, mappings_dir=mappings_dir)
    except NordgateError as error:
        actual = outcome_for(error)
    expected = mask(orjson.loads(case.expected.read_bytes()))
    return CaseResult(case, actual, diff(expected, mask(actual)))


def render_expected(data: Any) -> bytes:
    return orjson.dumps(data, option=orjson.OPT_INDENT_2) + b"\n"
