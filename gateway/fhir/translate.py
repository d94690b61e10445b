"""``ConceptMap/$translate`` over the loaded maps: request parsing (query or Parameters) and the answer.

Parameter names of both releases are taken whatever release is answered (R4 ``code``/``coding``/
``source``/``target``/``targetsystem``, R5 ``sourceCode``/``sourceCoding``/``sourceScope``/
``targetScope``/``targetSystem``): a client should not fail on a rename. The answer is a
``Parameters`` resource: ``result``, ``message`` when nothing matched, and one ``match`` per target
with ``equivalence`` + ``source`` (R4) or ``relationship`` + ``originMap`` (R5, which renamed both).

Not supported, refused with 400 rather than ignored (an ignored ``reverse`` would answer the wrong
question): ``reverse`` / R5 ``targetCode``…, a map sent in the request (``conceptMap``),
``dependency``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from gateway.fhir.common import FhirVersion
from gateway.fhir.conceptmap import RELATIONSHIP
from gateway.fhir.mappings import MappingSet
from gateway.primitives.errors import MalformedInput, NotFound

__all__ = ["TRANSLATE_PARAMETERS", "TranslateRequest", "request_from_parameters", "request_from_query", "translate"]

JSON = dict[str, Any]

# Every accepted name (both releases) → the one name used below.
_NAMES: Final = {
    "url": "url", "conceptMapVersion": "conceptMapVersion", "system": "system", "version": "version",
    "code": "code", "sourceCode": "code", "coding": "coding", "sourceCoding": "coding",
    "codeableConcept": "codeableConcept", "sourceCodeableConcept": "codeableConcept",
    "source": "source", "sourceScope": "source", "target": "target", "targetScope": "target",
    "targetsystem": "targetsystem", "targetSystem": "targetsystem", "reverse": "reverse",
}
TRANSLATE_PARAMETERS: Final = frozenset(_NAMES)
_REFUSED: Final = {
    "conceptMap": "a map sent in the request is not supported; name a served map by url or by id in the path",
    "dependency": "dependencies are not supported: the served maps have none",
    "targetCode": "reverse translation is not supported",
    "targetCoding": "reverse translation is not supported",
    "targetCodeableConcept": "reverse translation is not supported",
}
_IGNORED: Final = {"_format", "_fhirVersion", "_pretty"}
_NO_RESULT: Final = {"unmatched", "disjoint"}  # R4: result is true only with a match of another equivalence


@dataclass(frozen=True, slots=True)
class TranslateRequest:
    codings: tuple[tuple[str, str], ...]  # (system, code) to translate
    url: str | None = None
    map_version: str | None = None
    system_version: str | None = None
    source_scope: str | None = None
    target_scope: str | None = None
    target_system: str | None = None


def _bad(parameter: str, why: str) -> MalformedInput:
    return MalformedInput("TRANSLATE_PARAMETER_INVALID", f"{parameter}: {why}", location=parameter)


def _collect(pairs: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, value in pairs:
        if name in _IGNORED:
            continue
        if name in _REFUSED:
            raise _bad(name, _REFUSED[name])
        if name not in _NAMES:
            raise _bad(name, "not a parameter of $translate here; known: " + ", ".join(sorted(_NAMES)))
        key = _NAMES[name]
        if key in values:
            raise _bad(name, "given more than once")
        values[key] = value
    return values


def _text(values: Mapping[str, Any], key: str) -> str | None:
    value = values.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise _bad(key, "must be a non-empty string")
    return value


def _coding(value: Any, where: str) -> tuple[str, str]:
    system, code = (value.get("system"), value.get("code")) if isinstance(value, dict) else (None, None)
    if not isinstance(system, str) or not isinstance(code, str) or not system or not code:
        raise _bad(where, "must be a Coding with system and code")
    return system, code


def _build(values: Mapping[str, Any]) -> TranslateRequest:
    reverse = values.get("reverse")
    if reverse not in (None, False, "false"):
        raise _bad("reverse", "reverse translation is not supported")
    codings: list[tuple[str, str]] = []
    code, system = _text(values, "code"), _text(values, "system")
    if code is not None:
        if system is None:
            raise _bad("system", "is needed with code")
        codings.append((system, code))
    elif system is not None and "coding" not in values and "codeableConcept" not in values:
        raise _bad("code", "is needed with system")
    if "coding" in values:
        codings.append(_coding(values["coding"], "coding"))
    concept = values.get("codeableConcept")
    if concept is not None:
        if not isinstance(concept, dict) or not isinstance(concept.get("coding"), list) or not concept["coding"]:
            raise _bad("codeableConcept", "must be a CodeableConcept with at least one coding")
        codings += [_coding(item, f"codeableConcept.coding[{n}]") for n, item in enumerate(concept["coding"])]
    if not codings:
        raise _bad("code", "give system and code, a coding or a codeableConcept to translate")
    return TranslateRequest(tuple(codings), url=_text(values, "url"), map_version=_text(values, "conceptMapVersion"),
                            system_version=_text(values, "version"), source_scope=_text(values, "source"),
                            target_scope=_text(values, "target"), target_system=_text(values, "targetsystem"))


def request_from_query(items: Iterable[tuple[str, str]]) -> TranslateRequest:
    """GET: simple values only; ``coding`` as ``system|code`` (a Coding cannot be a query value)."""
    values = _collect(items)
    if "codeableConcept" in values:
        raise _bad("codeableConcept", "cannot be given in a URL; POST a Parameters resource")
    if "coding" in values:
        system, _, code = str(values["coding"]).partition("|")
        values["coding"] = {"system": system, "code": code}
    return _build(values)


def request_from_parameters(body: Any) -> TranslateRequest:
    """POST: a FHIR ``Parameters`` resource; each parameter's single ``value[x]`` is taken."""
    if not isinstance(body, dict) or body.get("resourceType") != "Parameters":
        raise MalformedInput("TRANSLATE_BODY_INVALID", "the body must be a FHIR Parameters resource")
    parameters = body.get("parameter", [])
    if not isinstance(parameters, list):
        raise MalformedInput("TRANSLATE_BODY_INVALID", "Parameters.parameter must be a list", location="parameter")
    pairs: list[tuple[str, Any]] = []
    for number, parameter in enumerate(parameters):
        where = f"parameter[{number}]"
        name = parameter.get("name") if isinstance(parameter, dict) else None
        if not isinstance(name, str):
            raise MalformedInput("TRANSLATE_BODY_INVALID", f"{where}.name is missing", location=f"{where}.name")
        value_keys = [key for key in parameter if key.startswith("value")]
        if name not in _REFUSED and len(value_keys) != 1:
            raise MalformedInput("TRANSLATE_BODY_INVALID", f"{where} ({name}) must have exactly one value[x]",
                                 location=where)
        pairs.append((name, parameter[value_keys[0]] if value_keys else parameter.get("resource")))
    return _build(_collect(pairs))


def _candidates(mappings: MappingSet, request: TranslateRequest, map_id: str | None) -> list[Mapping[str, Any]]:
    if map_id is not None:
        resource = mappings.concept_map(map_id)
        if resource is None:
            raise NotFound("RESOURCE_NOT_FOUND", f"no ConceptMap/{map_id}")
        maps = [resource]
    else:
        maps = sorted(mappings.concept_maps(), key=lambda resource: str(resource.get("id")))
    if request.url is not None:
        maps = [resource for resource in maps if resource.get("url") == request.url]
        if not maps:
            raise NotFound("CONCEPT_MAP_NOT_FOUND", f"no ConceptMap with url {request.url}", location="url")
    if request.map_version is not None:
        maps = [resource for resource in maps if resource.get("version") == request.map_version]
        if not maps:
            raise NotFound("CONCEPT_MAP_NOT_FOUND", f"no ConceptMap of version {request.map_version}",
                           location="conceptMapVersion")
    return maps


def _in_scope(resource: Mapping[str, Any], request: TranslateRequest) -> bool:
    group = resource["group"][0]
    # The served maps name no value sets (sourceUri…); a scope naming the group's system is taken too.
    source = {resource.get(key) for key in ("sourceUri", "sourceCanonical")} | {group.get("source")}
    target = {resource.get(key) for key in ("targetUri", "targetCanonical")} | {group.get("target")}
    return ((request.source_scope is None or request.source_scope in source)
            and (request.target_scope is None or request.target_scope in target)
            and (request.target_system is None or request.target_system == group.get("target"))
            and (request.system_version is None or group.get("sourceVersion") in (None, request.system_version)))


def _match(version: FhirVersion, equivalence: str, concept: JSON, map_url: str) -> JSON:
    if version is FhirVersion.R4:
        parts = [{"name": "equivalence", "valueCode": equivalence}, {"name": "concept", "valueCoding": concept},
                 {"name": "source", "valueUri": map_url}]
    else:
        parts = [{"name": "relationship", "valueCode": RELATIONSHIP[equivalence]},
                 {"name": "concept", "valueCoding": concept}, {"name": "originMap", "valueCanonical": map_url}]
    return {"name": "match", "part": parts}


def translate(mappings: MappingSet, request: TranslateRequest, version: FhirVersion, *,
              map_id: str | None = None) -> JSON:
    """The $translate answer (a Parameters resource). NotFound when the named map does not exist."""
    maps = [resource for resource in _candidates(mappings, request, map_id) if _in_scope(resource, request)]
    matches: list[JSON] = []
    result = False
    for system, code in request.codings:
        for resource in maps:
            if resource["group"][0]["source"] != system:
                continue
            found = mappings.translate(str(resource["id"]), code)
            if found is None:
                continue
            concept = {"system": found.system, "code": found.code}
            if found.display:
                concept["display"] = found.display
            matches.append(_match(version, found.equivalence, concept, found.map_url))
            result = result or found.equivalence not in _NO_RESULT
    parameters: list[JSON] = [{"name": "result", "valueBoolean": result}]
    if not matches:
        asked = ", ".join(f"{system}|{code}" for system, code in request.codings)
        where = ", ".join(str(resource.get("url")) for resource in maps) or "no ConceptMap in scope"
        parameters.append({"name": "message", "valueString": f"no mapping for {asked} in {where}"})
    return {"resourceType": "Parameters", "parameter": parameters + matches}
