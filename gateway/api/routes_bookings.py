"""POST /bookings: a booking message in, the resulting resources out as a FHIR batch-response Bundle."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import Response

from gateway.api.audit_middleware import audit_note, audited_push, note_body
from gateway.api.guard import principal_of
from gateway.api.media import XML_TYPES, fhir_version_from, require_media_type
from gateway.api.openapi_docs import FhirJSONResponse, raw_body
from gateway.api.outcome import FHIR_JSON
from gateway.auth.tenancy import require_push_tenants
from gateway.bootstrap.runtime import Runtime
from gateway.fhir.common import FhirVersion
from gateway.ingest.pipeline import BookingIngest, PushResult
from gateway.ingest.registry import Parsed
from gateway.observability.metrics import PushObservation
from gateway.primitives.errors import MalformedInput, PayloadTooLarge

__all__ = ["read_limited_body", "router", "source_of"]

router = APIRouter()

# Scheduling messages, as documented: XML (crm:scheduling, Elvis) and JSON (Norwegian group-appointment
# events). A push is checked against the media types of the running gateway's inbound formats.
PUSH_TYPES = (*XML_TYPES, "application/json")


async def read_limited_body(request: Request, limit: int, *, note: bool = True) -> bytes:
    """The body, refused with 413 as soon as it is known to be over ``limit`` (never read whole).

    ``note=False``: the caller notes the body's SHA-256 itself (:func:`note_body`), off the event loop."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not (declared.isascii() and declared.isdigit()):
            raise MalformedInput("CONTENT_LENGTH_INVALID", "Content-Length is not a number")
        # More digits than the limit has is over it; int() of thousands of digits would raise.
        digits = declared.lstrip("0")
        if len(digits) > len(str(limit)) or int(digits or "0") > limit:
            raise PayloadTooLarge("PAYLOAD_TOO_LARGE", f"body of {declared} bytes is over the limit of {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge("PAYLOAD_TOO_LARGE", f"body is over the limit of {limit} bytes")
        chunks.append(chunk)
    body = b"".join(chunks)
    if note:
        note_body(request, body)  # the audit row keeps its SHA-256, never the body
    return body


def source_of(request: Request, runtime: Runtime, *, from_query: bool = True) -> str:
    """The sending system: ``X-Nordgate-Source``, else (``from_query``) ``?source=``, else the default."""
    source = request.headers.get("x-nordgate-source") or (request.query_params.get("source") if from_query
                                                          else None) or runtime.settings.default_source
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
    with runtime.metrics.push() as observed:  # counts pushes by format and outcome, refusals by code
        return await _push(request, runtime, observed)


def _read(request: Request, ingest: BookingIngest, body: bytes, source: str,
          version: FhirVersion) -> tuple[str, Parsed]:
    # Hashed once: the audit note's SHA-256 is the receipt key's (noted first, so a refused parse's row has it).
    digest = note_body(request, body)
    return ingest.receipt_key(body, source, version, digest=digest), ingest.read(body, source)


async def _push(request: Request, runtime: Runtime, observed: PushObservation) -> Response:
    registry = runtime.inbound.registry
    require_media_type(request.headers.get("content-type"), registry.media_types)
    version = fhir_version_from(request.headers.get("accept"), request.query_params.get("_fhirVersion"),
                                runtime.default_version)
    source = source_of(request, runtime)
    body = await read_limited_body(request, runtime.settings.max_body_bytes, note=False)
    observed.body = body
    ingest = runtime.ingest
    # No receipt look-up here: the unit of work checks the receipt first, inside the transaction,
    # and a read on the event loop would only stall other requests.
    # Hashing and parsing are CPU work that grows with the body (a 5 MB message is a second of lxml and
    # the child index): in a worker thread, so /healthz and every other request keep being served.
    key, parsed = await asyncio.to_thread(_read, request, ingest, body, source, version)
    observed.format = parsed.format.name
    events = parsed.events
    # Before anything is stored: every unit the message acts for must be one of the client's tenants.
    require_push_tenants(principal_of(request), events, parsed.format.units)
    # The booking.push audit row commits with the push (acknowledged ⇒ audited; gateway/audit/recorder.py).
    work = audited_push(request, ingest.work(key, events, version), source)
    result: PushResult = await asyncio.wrap_future(runtime.writer.submit(work))
    audit_note(request).recorded = True
    replay = result.body
    observed.replayed = result.replayed
    return Response(replay, status_code=200, media_type=f"{FHIR_JSON}; fhirVersion={version.value}")
