"""POST /preview and POST /preview/session: what a message becomes, traced, and nothing stored.

``/preview`` takes exactly what ``POST /bookings`` takes (the same media types, ``X-Nordgate-Source``
or ``?source=``, ``Accept: …; fhirVersion=5.0`` or ``?_fhirVersion=``, body limit) and answers
``{"format", "events", "bundle", "trace"}``, or the same 4xx OperationOutcome a push would get.
``/preview/session`` takes one JSON object, for a message that needs earlier ones (an answer to an
open invitation, an attendance report after its session)::

    {"message": "<…>", "given": ["<…>", {"name": "09-open-invitation.xml", "message": "<…>"}],
     "source": "1177", "fhirVersion": "5.0", "name": "10-open-invitation-answer-1177.xml"}

``given`` messages are applied first (state only); ``name``s prefix error locations as
``nordgate map`` does, so an answer compares with a sample's expected file. A separate path, not a
media-type parameter: a Norwegian group-appointment event is itself ``application/json``.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from gateway.api.media import fhir_version_from, require_media_type
from gateway.api.routes_bookings import read_limited_body
from gateway.bootstrap.runtime import Runtime
from gateway.fhir.common import FhirVersion
from gateway.primitives.errors import MalformedInput
from gateway.primitives.jsonsafe import decode_json
from gateway.toolkit.preview import Message, preview

__all__ = ["router"]

router = APIRouter()
_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"description": "malformed"}, 409: {"description": "conflict with the given messages"},
    413: {"description": "too large"}, 415: {"description": "media type not taken"},
    422: {"description": "breaks a contract rule"}}


def _checked_source(source: str, runtime: Runtime) -> str:
    if source not in runtime.sources:
        raise MalformedInput("SOURCE_UNKNOWN", f"sending system {source!r} is not known; known: "
                             f"{', '.join(sorted(runtime.sources))} (mappings/cancellation-origin.json)")
    return source


async def _run(runtime: Runtime, message: Message, given: list[Message], source: str,
               version: FhirVersion) -> Response:
    # The preview parses and renders: CPU work off the event loop, on its own in-memory store.
    result = await run_in_threadpool(preview, message, given=given, source=source, version=version,
                                     mappings=runtime.mappings, inbound=runtime.inbound,
                                     limits=runtime.ingest.limits)
    return Response(orjson.dumps(result.to_json()), media_type="application/json")


@router.post("/preview", summary="What a booking message becomes, with the trace of every code; stores nothing",
             response_description="{format, events, bundle (collection), trace}", responses=_RESPONSES)
async def preview_message(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    require_media_type(request.headers.get("content-type"), runtime.inbound.registry.media_types)
    version = fhir_version_from(request.headers.get("accept"), request.query_params.get("_fhirVersion"),
                                runtime.default_version)
    source = _checked_source(request.headers.get("x-nordgate-source") or request.query_params.get("source")
                             or runtime.settings.default_source, runtime)
    body = await read_limited_body(request, runtime.settings.max_body_bytes)
    return await _run(runtime, Message(body), [], source, version)


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise MalformedInput("PREVIEW_SESSION_INVALID", f"{where} must be a non-empty string", location=where)
    return value


def _message(value: Any, where: str) -> Message:
    if isinstance(value, dict):
        name = value.get("name")
        return Message(_text(value.get("message"), f"{where}/message").encode(),
                       _text(name, f"{where}/name") if name is not None else None)
    return Message(_text(value, where).encode())


def _version(value: Any, default: FhirVersion) -> FhirVersion:
    if value is None:
        return default
    return fhir_version_from(None, _text(value, "/fhirVersion"), default)


def _session_document(body: bytes, limit: int) -> Any:
    return decode_json(body, max_bytes=limit, prefix="PREVIEW", what="preview session")


@router.post("/preview/session", summary="Preview a message after given ones (JSON); stores nothing",
             response_description="{format, events, bundle (collection), trace}", responses=_RESPONSES)
async def preview_session(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    require_media_type(request.headers.get("content-type"), ("application/json",))
    limit = runtime.settings.max_body_bytes
    body = await read_limited_body(request, limit)
    # Decoding (and checking) a body of megabytes is CPU work: off the event loop, like the preview itself.
    document = await run_in_threadpool(_session_document, body, limit)
    if not isinstance(document, dict):
        raise MalformedInput("PREVIEW_SESSION_INVALID", "a preview session is a JSON object", location="/")
    unknown = sorted(set(document) - {"message", "given", "source", "fhirVersion", "name"})
    if unknown:
        raise MalformedInput("PREVIEW_SESSION_INVALID", f"unknown member {unknown[0]!r}", location=f"/{unknown[0]}")
    given = document.get("given", [])
    if not isinstance(given, list):
        raise MalformedInput("PREVIEW_SESSION_INVALID", "given must be a list of messages", location="/given")
    name = document.get("name")
    message = Message(_text(document.get("message"), "/message").encode(),
                      _text(name, "/name") if name is not None else None)
    source = _checked_source(_text(document.get("source", runtime.settings.default_source), "/source"), runtime)
    return await _run(runtime, message, [_message(item, f"/given/{index}") for index, item in enumerate(given)],
                      source, _version(document.get("fhirVersion"), runtime.default_version))
