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

from gateway.primitives.errors import NordgateError
from gateway.toolkit.mapper import map_messages, outcome_for

__all__ = ["CaseResult", "Difference", "GoldenCase", "diff", "discover", "mask", "render_expected", "run_case",
           "short", "write_expected"]

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
    #: The innermost resource around ``path`` (``Appointment/3f2…``), so a reader finds the entry at once.
    context: str = ""

    def __str__(self) -> str:
        where = f" (in {self.context})" if self.context else ""
        return f"{self.path}: expected {short(self.expected)}, got {short(self.actual)}{where}"


@dataclass
class CaseResult:
    case: GoldenCase
    actual: dict[str, Any]  # unmasked: what map printed
    differences: list[Difference] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.differences


def short(value: Any) -> str:
    """A value as JSON on one line, ``(absent)`` for a missing element, long ones shortened."""
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


def _resource_label(expected: dict[str, Any], actual: dict[str, Any], outer: str) -> str:
    node = expected if "resourceType" in expected else actual
    kind = node.get("resourceType")
    if not isinstance(kind, str):
        return outer
    ident = node.get("id")
    return f"{kind}/{ident}" if isinstance(ident, str) else kind


def diff(expected: Any, actual: Any, path: str = "", context: str = "") -> list[Difference]:
    """Differences as FHIR-style paths (``entry[0].resource.status``), each with its resource."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        inner = _resource_label(expected, actual, context)
        found: list[Difference] = []
        for key in sorted(set(expected) | set(actual), key=str):
            child = f"{path}.{key}" if path else key
            found += diff(expected.get(key, _ABSENT), actual.get(key, _ABSENT), child, inner)
        return found
    if isinstance(expected, list) and isinstance(actual, list):
        found = []
        for index in range(max(len(expected), len(actual))):
            found += diff(expected[index] if index < len(expected) else _ABSENT,
                          actual[index] if index < len(actual) else _ABSENT, f"{path}[{index}]", context)
        return found
    if expected is _ABSENT and actual is _ABSENT:
        return []
    if type(expected) is not type(actual) or expected != actual:
        return [Difference(path or "(root)", expected, actual, context)]
    return []


def run_case(case: GoldenCase, *, mappings_dir: Path | None = None) -> CaseResult:
    try:
        actual = map_messages([case.input], given=list(case.given), source=case.source,
                              fhir_version=case.fhir_version, mappings_dir=mappings_dir)
    except NordgateError as error:
        actual = outcome_for(error)
    try:
        expected = mask(orjson.loads(case.expected.read_bytes()))
    except orjson.JSONDecodeError as exc:
        # A hand-edited expected file that no longer parses is a failing case, not a crash of the run.
        return CaseResult(case, actual, [Difference("(root)", f"(unreadable {case.expected.name}: {exc})", actual)])
    return CaseResult(case, actual, diff(expected, mask(actual)))


def render_expected(data: Any) -> bytes:
    return orjson.dumps(data, option=orjson.OPT_INDENT_2) + b"\n"


def write_expected(result: CaseResult) -> bool:
    """Rewrite the case's expected file from what the case printed; False when it already matched."""
    if result.passed:
        return False
    result.case.expected.write_bytes(render_expected(result.actual))
    return True
