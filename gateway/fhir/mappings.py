"""Code mappings as data: FHIR ConceptMap JSON files in ``mappings/`` and the identifier-system table.

Loaded and checked once at start-up; a broken file stops start-up with a
:class:`~gateway.primitives.errors.ConfigurationError` naming the file and the element (a JSON path such as
``group[0].element[3].target[0].code``). Translation afterwards is a dict lookup.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from gateway.primitives.errors import ConfigurationError
from gateway.primitives.identifiers import IdentifierKind

__all__ = ["IDENTIFIER_TABLE", "ConceptMapIndex", "MappingSet", "Translation", "load_concept_map", "load_mappings"]

IDENTIFIER_TABLE = "identifier-systems.json"
_EQUIVALENCES = {
    "relatedto", "equivalent", "equal", "wider", "subsumes", "narrower", "specializes", "inexact",
    "unmatched", "disjoint",
}


@dataclass(frozen=True, slots=True)
class Translation:
    """One target of a ConceptMap entry, with where it came from (for traces)."""

    system: str
    code: str
    display: str | None
    map_id: str
    map_url: str
    source_system: str
    source_code: str
    entry: str  # JSON path of the element inside the map file
    equivalence: str = "equivalent"  # R4 ConceptMap equivalence of the target ($translate answers it)


@dataclass(frozen=True, slots=True)
class ConceptMapIndex:
    id: str
    url: str
    path: Path
    source_system: str
    resource: Mapping[str, Any]
    by_code: Mapping[str, Translation]


class MappingSet:
    """Every ConceptMap and the identifier-system table, checked."""

    def __init__(self, maps: Mapping[str, ConceptMapIndex], identifier_systems: Mapping[IdentifierKind, str],
                 folder: Path) -> None:
        self._maps = dict(maps)
        self._systems = dict(identifier_systems)
        self.folder = folder

    def translate(self, map_id: str, code: str) -> Translation | None:
        return self._map(map_id).by_code.get(code)

    def has(self, map_id: str) -> bool:
        return map_id in self._maps

    def source_system(self, map_id: str) -> str:
        return self._map(map_id).source_system

    def identifier_system(self, kind: IdentifierKind | str) -> str:
        # IdentifierKind is a StrEnum: its members and their plain string values are the same key.
        return self._systems[kind]  # type: ignore[index]

    def concept_maps(self) -> list[Mapping[str, Any]]:
        return [index.resource for index in self._maps.values()]

    def concept_map(self, map_id: str) -> Mapping[str, Any] | None:
        index = self._maps.get(map_id)
        return index.resource if index else None

    def _map(self, map_id: str) -> ConceptMapIndex:
        try:
            return self._maps[map_id]
        except KeyError:
            raise ConfigurationError("MAPPING_MISSING", f"no ConceptMap {map_id!r} in {self.folder}") from None


def _fail(path: Path, where: str, why: str) -> ConfigurationError:
    return ConfigurationError("MAPPING_INVALID", f"{path.name}: {where}: {why}", location=f"{path}#{where}")


def _string(value: object, path: Path, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _fail(path, where, "must be a non-empty string")
    return value


def _index_concept_map(path: Path, data: object) -> ConceptMapIndex:
    if not isinstance(data, dict) or data.get("resourceType") != "ConceptMap":
        raise _fail(path, "resourceType", "must be 'ConceptMap'")
    map_id = _string(data.get("id"), path, "id")
    if map_id != path.stem:
        raise _fail(path, "id", f"must equal the file name {path.stem!r}")
    url = _string(data.get("url"), path, "url")
    if data.get("status") not in {"draft", "active", "retired", "unknown"}:
        raise _fail(path, "status", "must be draft, active, retired or unknown")
    groups = data.get("group")
    if not isinstance(groups, list) or len(groups) != 1:
        raise _fail(path, "group", "must hold exactly one group (one source and one target system)")
    group = groups[0]
    if not isinstance(group, dict):
        raise _fail(path, "group[0]", "must be an object")
    source = _string(group.get("source"), path, "group[0].source")
    target = _string(group.get("target"), path, "group[0].target")
    elements = group.get("element")
    if not isinstance(elements, list) or not elements:
        raise _fail(path, "group[0].element", "must be a non-empty list")
    by_code: dict[str, Translation] = {}
    for number, element in enumerate(elements):
        where = f"group[0].element[{number}]"
        if not isinstance(element, dict):
            raise _fail(path, where, "must be an object")
        code = _string(element.get("code"), path, f"{where}.code")
        if code in by_code:
            raise _fail(path, f"{where}.code", f"source code {code!r} is mapped twice")
        targets = element.get("target")
        if not isinstance(targets, list) or len(targets) != 1 or not isinstance(targets[0], dict):
            raise _fail(path, f"{where}.target", "must hold exactly one target object")
        target_code = _string(targets[0].get("code"), path, f"{where}.target[0].code")
        if targets[0].get("equivalence") not in _EQUIVALENCES:
            raise _fail(path, f"{where}.target[0].equivalence", f"must be one of {sorted(_EQUIVALENCES)}")
        display = targets[0].get("display")
        by_code[code] = Translation(
            system=target, code=target_code, display=display if isinstance(display, str) else None,
            map_id=map_id, map_url=url, source_system=source, source_code=code, entry=where,
            equivalence=targets[0]["equivalence"],
        )
    return ConceptMapIndex(map_id, url, path, source, data, by_code)


def _validate_fhir(path: Path, data: object) -> None:
    # fhir.resources is imported here, at start-up only: building models per message is what the hot
    # path avoids, but a map that is not valid FHIR must never load.
    from fhir.resources.R4B.conceptmap import ConceptMap  # noqa: PLC0415
    from pydantic import ValidationError  # noqa: PLC0415

    try:
        ConceptMap.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise _fail(path, where or "ConceptMap", f"not valid FHIR R4 ConceptMap: {first['msg']}") from None


def _read_json(path: Path) -> object:
    try:
        return orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as exc:
        raise ConfigurationError("MAPPING_INVALID", f"{path.name}: not valid JSON: {exc}",
                                 location=str(path)) from None


def _identifier_systems(path: Path) -> dict[IdentifierKind, str]:
    data = _read_json(path)
    systems = data.get("systems") if isinstance(data, dict) else None
    if not isinstance(systems, dict):
        raise _fail(path, "systems", "must be an object of identifier kind to system URI")
    table: dict[IdentifierKind, str] = {}
    for kind in IdentifierKind:
        table[kind] = _string(systems.get(kind.value), path, f"systems.{kind.value}")
    unknown = set(systems) - {kind.value for kind in IdentifierKind}
    if unknown:
        raise _fail(path, f"systems.{sorted(unknown)[0]}", "is not an identifier kind the gateway knows")
    return table


def load_concept_map(path: Path) -> ConceptMapIndex:
    """One map file, checked (the gateway's rules, then FHIR R4 validity); raises ConfigurationError."""
    data = _read_json(path)
    index = _index_concept_map(path, data)
    _validate_fhir(path, data)
    return index


def load_mappings(folder: Path, *, required: Iterable[str] = ()) -> MappingSet:
    if not folder.is_dir():
        raise ConfigurationError("MAPPING_FOLDER_MISSING", f"mappings folder {folder} does not exist")
    maps: dict[str, ConceptMapIndex] = {}
    # Non-recursive on purpose: subfolders (terminology/known-codes.json) hold data for checkers, not maps.
    for path in sorted(folder.glob("*.json")):
        if path.name == IDENTIFIER_TABLE:
            continue
        index = load_concept_map(path)
        maps[index.id] = index
    for name in required:
        if name not in maps:
            raise ConfigurationError("MAPPING_MISSING", f"required ConceptMap {name}.json is missing in {folder}")
    table_path = folder / IDENTIFIER_TABLE
    if not table_path.is_file():
        raise ConfigurationError("MAPPING_MISSING", f"{IDENTIFIER_TABLE} is missing in {folder}")
    return MappingSet(maps, _identifier_systems(table_path), folder)
