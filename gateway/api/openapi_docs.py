"""What the OpenAPI document says about answers and bodies FastAPI cannot see for itself.

The gateway's routes read raw bodies (XML messages, FHIR Parameters, settlement batches: read with a
size limit, parsed by hardened parsers) and answer FHIR JSON and OperationOutcomes with their own
media type. Without these declarations ``/openapi.json`` would claim ``application/json`` answers, no
request bodies and FastAPI's own 422 validation errors, none of which is true; the contract test
(tests/gateway/api/test_openapi_contract.py) holds the document to what the app really does.
"""

from __future__ import annotations

from typing import Any, Final

from fastapi.responses import JSONResponse

from gateway.api.outcome import FHIR_JSON

__all__ = ["ERROR_RESPONSES", "FhirJSONResponse", "fhir_ok", "ok_as", "raw_body"]

_RESOURCE: Final = {"type": "object", "required": ["resourceType"], "properties": {"resourceType": {"type": "string"}}}
_OUTCOME: Final = {
    "type": "object", "required": ["resourceType", "issue"],
    "properties": {"resourceType": {"const": "OperationOutcome"}, "issue": {"type": "array", "minItems": 1}},
}

#: Every error of every route is a FHIR OperationOutcome (gateway.api.outcome); declared once, app-wide.
ERROR_RESPONSES: Final[dict[int | str, dict[str, Any]]] = {
    "4XX": {"description": "OperationOutcome: the request is refused (stable code in issue[0].details)",
            "content": {FHIR_JSON: {"schema": _OUTCOME}}},
    "5XX": {"description": "OperationOutcome: transient (503) or internal error",
            "content": {FHIR_JSON: {"schema": _OUTCOME}}},
}


class FhirJSONResponse(JSONResponse):
    """A FHIR JSON answer. Routes build their bodies (and the ``fhirVersion`` parameter) themselves; as a
    JSONResponse the class makes the document say "a JSON value", not "a string"."""

    media_type = FHIR_JSON


def fhir_ok(description: str = "a FHIR resource") -> dict[int | str, dict[str, Any]]:
    return {200: {"description": description, "content": {FHIR_JSON: {"schema": _RESOURCE}}}}


def ok_as(media: str, description: str) -> dict[int | str, dict[str, Any]]:
    """A 200 of another media type than JSON (use with ``response_class=Response``)."""
    return {200: {"description": description, "content": {media: {"schema": {"type": "string"}}}}}


def raw_body(media_types: tuple[str, ...], *, schema: dict[str, Any] | None = None,
             description: str) -> dict[str, Any]:
    """``openapi_extra`` for a route that reads its body itself: which media types it takes."""
    return {"requestBody": {"required": True, "description": description,
                            "content": {media: {"schema": schema or {"type": "string"}} for media in media_types}}}
