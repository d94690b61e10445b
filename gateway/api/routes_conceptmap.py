"""The ConceptMaps the gateway translates with, over FHIR REST: search, read and ``$translate``.

``GET /fhir/ConceptMap`` (``url``, ``name``), ``GET /fhir/ConceptMap/{id}``,
``GET|POST /fhir/ConceptMap/$translate`` and ``GET|POST /fhir/ConceptMap/{id}/$translate``. The maps
are the ones loaded at start-up (``Runtime.mappings``), so what is served is what the gateway
translates with, and a changed map file shows after a restart. This router is included before the
generic ``/fhir/{resource_type}`` routes: FastAPI matches routes in registration order.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response

from gateway.api.media import fhir_version_from, require_media_type
from gateway.api.openapi_docs import FhirJSONResponse, fhir_ok, raw_body
from gateway.api.outcome import FHIR_JSON
from gateway.api.routes_bookings import read_limited_body
from gateway.bootstrap.runtime import Runtime
from gateway.fhir.common import FhirVersion
from gateway.fhir.conceptmap import CONCEPT_MAP_SEARCH, render_concept_map, search_concept_maps
from gateway.fhir.render import searchset_bundle
from gateway.fhir.translate import (
    TRANSLATE_PARAMETERS,
    TranslateRequest,
    request_from_parameters,
    request_from_query,
    translate,
)
from gateway.primitives.errors import MalformedInput, NotFound
from gateway.primitives.jsonsafe import decode_json

__all__ = ["router"]

router = APIRouter(prefix="/fhir/ConceptMap", tags=["FHIR terminology"], default_response_class=FhirJSONResponse,
                   responses=fhir_ok())

#: The request body of a POST $translate, which the route reads itself (raw, size-limited).
_CODING = {"type": "object", "properties": {"system": {"type": "string"}, "code": {"type": "string"}}}
TRANSLATE_BODY = raw_body((FHIR_JSON, "application/json"), description="a FHIR Parameters resource", schema={
    "type": "object", "required": ["resourceType"],
    "properties": {"resourceType": {"const": "Parameters"}, "parameter": {"type": "array", "items": {
        "type": "object", "required": ["name"], "properties": {
            "name": {"type": "string", "enum": sorted(TRANSLATE_PARAMETERS)}, "valueUri": {"type": "string"},
            "valueCode": {"type": "string"}, "valueString": {"type": "string"}, "valueCoding": _CODING,
            "valueCodeableConcept": {"type": "object", "properties": {"coding": {"type": "array", "items": _CODING}}},
            "valueBoolean": {"type": "boolean"}}}}}})
_BODY_TYPES = (FHIR_JSON, "application/json")


def _query_parameters(described: dict[str, str]) -> dict[str, Any]:
    # The routes read their query themselves (to refuse unknown names); the document still lists them.
    return {"parameters": [{"name": name, "in": "query", "required": False, "description": text,
                            "schema": {"type": "string"}} for name, text in described.items()]}


_SEARCH_QUERY = _query_parameters({**{name: text for name, (_, text) in CONCEPT_MAP_SEARCH.items()},
                                   "_count": "page size (default 50, at most 500)", "_offset": "paging offset"})
_TRANSLATE_QUERY = _query_parameters({
    "url": "canonical URL of the map to use", "conceptMapVersion": "the map's version",
    "system": "system of the code to translate", "code": "the code to translate (R5: sourceCode)",
    "coding": "system|code to translate (R5: sourceCoding)", "source": "source scope (R5: sourceScope)",
    "target": "target scope (R5: targetScope)", "targetsystem": "target code system (R5: targetSystem)",
})
_COMMON = {"_format", "_fhirVersion", "_count", "_offset"}


def _context(request: Request) -> tuple[Runtime, FhirVersion]:
    runtime: Runtime = request.app.state.runtime
    return runtime, fhir_version_from(request.headers.get("accept"), request.query_params.get("_fhirVersion"),
                                      runtime.default_version)


def _answer(body: dict[str, Any], version: FhirVersion) -> Response:
    return Response(orjson.dumps(body), media_type=f"{FHIR_JSON}; fhirVersion={version.value}")


def _whole_number(name: str, text: str, low: int, high: int) -> int:
    if not (text.isascii() and text.isdigit()):  # "²" is a digit to isdigit(), not to int()
        raise MalformedInput("SEARCH_PARAMETER_INVALID", f"{name}: must be a whole number", location=name)
    return max(low, min(high, int(text) if len(text) <= 18 else high))


@router.get("", summary="Search the ConceptMaps (url, name)", openapi_extra=_SEARCH_QUERY)
def search_maps(request: Request) -> Response:
    runtime, version = _context(request)
    query = list(request.query_params.multi_items())
    wanted: dict[str, str] = {}
    count, offset = 50, 0
    for name, value in query:
        if name == "_count":
            count = _whole_number(name, value, 1, 500)
        elif name == "_offset":
            offset = _whole_number(name, value, 0, 10**9)
        elif name in CONCEPT_MAP_SEARCH and name not in wanted:
            wanted[name] = value
        elif name not in _COMMON:
            # Refused, never ignored, like every search here: a dropped filter would answer every map.
            raise MalformedInput("SEARCH_PARAMETER_INVALID", f"{name}: not a supported search parameter of "
                                 f"ConceptMap (or given twice); supported: "
                                 + ", ".join(sorted([*CONCEPT_MAP_SEARCH, "_count", "_offset"])), location=name)
    found = search_concept_maps(runtime.mappings.concept_maps(), url=wanted.get("url"), name=wanted.get("name"))
    base = runtime.settings.base_url
    kept = [(name, value) for name, value in query if name != "_offset"]
    next_link = (f"{base}/ConceptMap?{urlencode([*kept, ('_offset', offset + count)])}"
                 if offset + count < len(found) else None)
    page = [render_concept_map(resource, version) for resource in found[offset:offset + count]]
    return _answer(searchset_bundle(page, total=len(found), base_url=base, next_link=next_link,
                                    self_link=f"{base}/ConceptMap?{urlencode([*kept, ('_offset', offset)])}"), version)


def _translate(request: Request, parsed: TranslateRequest, map_id: str | None) -> Response:
    runtime, version = _context(request)
    return _answer(translate(runtime.mappings, parsed, version, map_id=map_id), version)


async def _posted(request: Request) -> TranslateRequest:
    runtime: Runtime = request.app.state.runtime
    require_media_type(request.headers.get("content-type"), _BODY_TYPES)
    body = await read_limited_body(request, runtime.settings.max_body_bytes)
    return request_from_parameters(decode_json(body, max_bytes=runtime.settings.max_body_bytes,
                                               prefix="TRANSLATE", what="Parameters resource"))


def _query(request: Request) -> TranslateRequest:
    return request_from_query(request.query_params.multi_items())


@router.get("/$translate", summary="Translate a code with the served ConceptMaps", openapi_extra=_TRANSLATE_QUERY)
def translate_get(request: Request) -> Response:
    return _translate(request, _query(request), None)


@router.post("/$translate", summary="Translate a code (FHIR Parameters body)",
             openapi_extra=TRANSLATE_BODY)
async def translate_post(request: Request) -> Response:
    return _translate(request, await _posted(request), None)


@router.get("/{map_id}", summary="Read a ConceptMap")
def read_map(map_id: str, request: Request) -> Response:
    runtime, version = _context(request)
    resource = runtime.mappings.concept_map(map_id)
    if resource is None:
        raise NotFound("RESOURCE_NOT_FOUND", f"no ConceptMap/{map_id}")
    return _answer(render_concept_map(resource, version), version)


@router.get("/{map_id}/$translate", summary="Translate a code with one ConceptMap", openapi_extra=_TRANSLATE_QUERY)
def translate_one_get(map_id: str, request: Request) -> Response:
    return _translate(request, _query(request), map_id)


@router.post("/{map_id}/$translate", summary="Translate a code with one ConceptMap (FHIR Parameters body)",
             openapi_extra=TRANSLATE_BODY)
async def translate_one_post(map_id: str, request: Request) -> Response:
    return _translate(request, await _posted(request), map_id)
