"""``nordgate mappings check``: what the start-up check of ConceptMaps cannot know.

Start-up (:func:`gateway.fhir.mappings.load_mappings`) refuses a map that is not valid FHIR, maps a code
twice or has an unknown equivalence. This module adds what needs data the gateway does not carry at
run time:

- **targets in the systems they claim**: ``mappings/terminology/known-codes.json`` lists the codes
  (and displays) of the HL7 code systems the maps target. A target code missing there is an error; a
  different display a warning (it usually means the code is not the concept meant); a target system
  with no list a warning (nothing to check against).
- **local codes the maps lack**: every golden sample is mapped and each coding whose system is the
  *source* system of a ConceptMap, with no coding of that map's target system beside it, is listed
  with the sample and its FHIR path. Such a code reached the output as the local code only.

Every map file is checked on its own so that one report names all broken files, not just the first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from gateway.bootstrap.inbound import required_maps
from gateway.fhir.mappings import IDENTIFIER_TABLE, ConceptMapIndex, load_concept_map, load_mappings
from gateway.primitives.errors import ConfigurationError, NordgateError
from gateway.toolkit.golden import GoldenCase, run_case

__all__ = ["KNOWN_CODES", "Finding", "MapReport", "Unmapped", "check_maps", "known_codes", "unmapped_codes"]

KNOWN_CODES = Path("terminology") / "known-codes.json"


@dataclass(frozen=True, slots=True)
class Finding:
    severity: str  # "error" or "warning"
    file: str
    where: str
    message: str

    def __str__(self) -> str:
        where = f"{self.where}: " if self.where else ""
        return f"{self.severity.upper()} {self.file}: {where}{self.message}"


@dataclass(frozen=True, slots=True)
class Unmapped:
    sample: str  # the case's name (folder/stem)
    path: str  # FHIR path of the coding in the mapped output
    context: str  # Appointment/<id>
    system: str
    code: str
    maps: tuple[str, ...]  # the maps of that source system that lack the code

    def __str__(self) -> str:
        return (f"{self.sample}: {self.path} ({self.context}): {self.system}|{self.code} "
                f"is not in {', '.join(f'{name}.json' for name in self.maps)}")


@dataclass
class MapReport:
    findings: list[Finding] = field(default_factory=list)
    maps: dict[str, ConceptMapIndex] = field(default_factory=dict)

    @property
    def errors(self) -> list[Finding]:
        return [finding for finding in self.findings if finding.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [finding for finding in self.findings if finding.severity == "warning"]


def known_codes(path: Path) -> dict[str, dict[str, str]]:
    """System URL -> {code: display} from a known-codes file; ConfigurationError when unreadable."""
    try:
        data = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError) as exc:
        raise ConfigurationError("KNOWN_CODES_UNREADABLE", f"{path}: {exc}") from None
    systems = data.get("systems") if isinstance(data, dict) else None
    if not isinstance(systems, dict):
        raise ConfigurationError("KNOWN_CODES_UNREADABLE", f"{path}: 'systems' must be an object")
    table: dict[str, dict[str, str]] = {}
    for system, entry in systems.items():
        codes = entry.get("codes") if isinstance(entry, dict) else None
        if not isinstance(codes, dict) or not all(isinstance(v, str) for v in codes.values()):
            raise ConfigurationError("KNOWN_CODES_UNREADABLE",
                                     f"{path}: systems.{system}.codes must map code to display")
        table[system] = dict(codes)
    return table


def _target_findings(index: ConceptMapIndex, known: dict[str, dict[str, str]]) -> Iterator[Finding]:
    name = index.path.name
    group = index.resource["group"][0]
    system = group["target"]
    codes = known.get(system)
    if codes is None:
        yield Finding("warning", name, "group[0].target",
                      f"no list of known codes for {system} in {KNOWN_CODES}; its target codes are not checked")
        return
    for translation in index.by_code.values():
        where = f"{translation.entry}.target[0]"
        if translation.code not in codes:
            yield Finding("error", name, f"{where}.code", f"{translation.code!r} (for source code "
                          f"{translation.source_code!r}) is not a code of {system}")
        elif translation.display is not None and translation.display.casefold() != codes[translation.code].casefold():
            yield Finding("warning", name, f"{where}.display",
                          f"{translation.display!r} is not the display of {system}|{translation.code} "
                          f"({codes[translation.code]!r}): is the code the concept meant?")


def check_maps(folder: Path, *, known_codes_file: Path | None = None) -> MapReport:
    """Check every ConceptMap in ``folder`` and the folder as a whole (required maps, identifier table)."""
    report = MapReport()
    if not folder.is_dir():
        report.findings.append(Finding("error", str(folder), "", "mappings folder does not exist"))
        return report
    urls: dict[str, str] = {}
    for path in sorted(folder.glob("*.json")):
        if path.name == IDENTIFIER_TABLE:
            continue
        try:
            index = load_concept_map(path)
        except ConfigurationError as error:
            where = (error.location or "").partition("#")[2]
            message = error.message.removeprefix(f"{path.name}: ").removeprefix(f"{where}: ")
            report.findings.append(Finding("error", path.name, where, message))
            continue
        if index.url in urls:
            report.findings.append(Finding("error", path.name, "url",
                                           f"{index.url} is also the url of {urls[index.url]}"))
        urls[index.url] = path.name
        report.maps[index.id] = index
    if not report.errors:
        report.findings += _folder_findings(folder)
    known_path = known_codes_file or folder / KNOWN_CODES
    if not known_path.is_file():
        report.findings.append(Finding("warning", str(KNOWN_CODES), "", f"{known_path} is missing; target codes "
                                       "are not checked"))
        return report
    try:
        known = known_codes(known_path)
    except ConfigurationError as error:
        report.findings.append(Finding("error", known_path.name, "", error.message))
        return report
    for index in report.maps.values():
        report.findings += _target_findings(index, known)
    return report


def _folder_findings(folder: Path) -> list[Finding]:
    try:
        load_mappings(folder, required=required_maps())
    except ConfigurationError as error:
        return [Finding("error", folder.name, "", error.message)]
    return []


def _codings(node: Any, path: str, context: str) -> Iterator[tuple[str, str, list[dict[str, Any]]]]:
    """(path, resource, codings) of every CodeableConcept in a FHIR JSON tree."""
    if isinstance(node, dict):
        kind = node.get("resourceType")
        if isinstance(kind, str):
            context = f"{kind}/{node['id']}" if isinstance(node.get("id"), str) else kind
        codings = node.get("coding")
        if isinstance(codings, list):
            yield path, context, [coding for coding in codings if isinstance(coding, dict)]
        for key, value in node.items():
            yield from _codings(value, f"{path}.{key}" if path else key, context)
    elif isinstance(node, list):
        for number, item in enumerate(node):
            yield from _codings(item, f"{path}[{number}]", context)


def unmapped_in(data: Any, sample: str, maps: dict[str, ConceptMapIndex]) -> list[Unmapped]:
    by_source: dict[str, list[ConceptMapIndex]] = {}
    for index in maps.values():
        by_source.setdefault(index.source_system, []).append(index)
    found: list[Unmapped] = []
    for path, context, codings in _codings(data, "", ""):
        systems = {coding.get("system") for coding in codings}
        for number, coding in enumerate(codings):
            sources = by_source.get(str(coding.get("system")), [])
            targets = {index.resource["group"][0]["target"] for index in sources}
            code = coding.get("code")
            if not sources or systems & targets or not isinstance(code, str):
                continue
            lacking = tuple(index.id for index in sources if code not in index.by_code)
            if lacking:
                found.append(Unmapped(sample, f"{path}.coding[{number}]", context, str(coding["system"]), code,
                                      lacking))
    return found


def unmapped_codes(cases: list[GoldenCase], maps: dict[str, ConceptMapIndex], mappings_dir: Path,
                   *, on_case: Callable[[GoldenCase], None] | None = None) -> tuple[list[Unmapped], list[str]]:
    """Map every case with the maps of ``mappings_dir``; the codes they lack, and cases that could not run."""
    found: list[Unmapped] = []
    problems: list[str] = []
    for case in cases:
        try:
            result = run_case(case, mappings_dir=mappings_dir)
        except (NordgateError, OSError, ValueError) as error:
            problems.append(f"{case.name}: could not be mapped: {error}")
        else:
            found += unmapped_in(result.actual, case.name, maps)
        if on_case is not None:
            on_case(case)
    return found, problems
