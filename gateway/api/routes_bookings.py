"""POST /bookings: a booking message in, the resulting resources out as a FHIR batch-response Bundle."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import Response

from gateway.api.media import XML_TYPES, fhir_version_from, require_media_type
from gateway.api.openapi_docs import FhirJSONResponse, raw_body
from gateway.api.outcome import FHIR_JSON
from gateway.api.runtime import Runtime
from gateway.bookings.ingest import PushResult
from gateway.errors import MalformedInput, PayloadTooLarge

__all__ = ["read_limited_body", "router"]

router = APIRouter()

# Scheduling messages: XML (crm:scheduling, Elvis) and JSON (Norwegian group-appointment events).
PUSH_TYPES = (*XML_TYPES, "application/json")


async def read_limited_body(request: Request, limit: int) -> bytes:
    """The body, refused with 413 as soon as it is known to be over ``limit`` (never read whole)."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise MalformedInput("CONTENT_LENGTH_INVALID", "Content-Length is not a number")
        if int(declared) > limit:
            raise PayloadTooLarge("PAYLOAD_TOO_LARGE", f"body of {declared} bytes is over the limit of {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge("PAYLOAD_TOO_LARGE", f"body is over the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _source(request: Request, runtime: Runtime) -> str:
    source = request.headers.get("x-nordgate-source") or request.query_params.get("source") \
        or runtime.settings.default_source
    if source not in runtime.sources:
        raise MalformedInput("SOURCE_UNKNOWN", f"sending system {source!r} is not known; known: "
                             f"{', '.join(sorted(runtime.sources))} (mappings/cancellation-origin.json)")
    return source


@router.post(
    "/bookings",
    summary="Push a booking message (crm:scheduling 1.1, bare or in SOAP)",
    response_description="FHIR Bundle (batch-response) of the resulting resources",
    responses={400: {"description": "malformed"}, 409: {"description": "conflict with stored state"},
               413: {"description": "too large"}, 415: {"description": "not XML"},
               422: {"description": "breaks a contract rule"}},
    response_class=FhirJSONResponse,
    openapi_extra=raw_body(PUSH_TYPES, description="one crm:scheduling 1.1 or Elvis XML message, or a Norwegian "
                           "group-appointment event (JSON)"),
)
async def push_booking(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    require_media_type(request.headers.get("content-type"), PUSH_TYPES)
    version = fhir_version_from(request.headers.get("accept"), request.query_params.get("_fhirVersion"),
                                runtime.default_version)
    source = _source(request, runtime)
    body = await read_limited_body(request, runtime.settings.max_body_bytes)
    ingest = runtime.ingest
    # No receipt look-up here: the unit of work checks the receipt first, inside the transaction,
    # and a read on the event loop would only stall other requests.
    key = ingest.receipt_key(body, source, version)
    events = ingest.parse(body, source)
    result: PushResult = await asyncio.wrap_future(runtime.writer.submit(ingest.work(key, events, version)))
    replay = result.body
    return Response(replay, status_code=200, media_type=f"{FHIR_JSON}; fhirVersion={version.value}")
