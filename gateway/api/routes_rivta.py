"""``/rivta/{Interaction}/1/rivtabp21``: nordgate as a crm:scheduling 1.1 producer (RIVTA BP 2.1, SOAP 1.1).

Six interactions, document/literal, each at RIVTA's own path convention: the writes MakeBooking,
UpdateBooking, CancelBooking (scope ``bookings:push``) and the reads GetBookingDetails,
GetSubjectOfCareSchedule, GetAvailableTimeslots (scope ``fhir:read``). ``GET …?wsdl`` and
``GET …?xsd=<path>`` serve Inera's contract from ``NORDGATE_RIVTA_CONTRACT_DIR`` with our address
filled in (:mod:`gateway.api.rivta_contract`). Every refusal is an answer the consumer's stub can
read: ERROR in a write's answer, or a SOAP Fault (:mod:`gateway.api.rivta_answers`). docs/rivta.md.

The routes are left out of the OpenAPI document: a SOAP consumer is generated from the WSDL, and the
OpenAPI walk of the JSON API (401/403 as OperationOutcome) does not hold here (a Fault, HTTP 500).
``tests/gateway/api/rivta/test_rivta_auth.py`` walks these routes instead.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import Response

from gateway.api.audit_middleware import audit_note, audited_push, note_body
from gateway.api.guard import check_scope, principal_of
from gateway.api.rivta_answers import answer_for, result_text
from gateway.api.rivta_contract import ContractTree
from gateway.api.rivta_faults import SOAP_XML, fault_response
from gateway.api.routes_bookings import read_limited_body, source_of
from gateway.auth.tenancy import require_tenant
from gateway.bookings.rivta_producer import (
    INTERACTIONS,
    Interaction,
    RivtaProducer,
    SoapRequest,
    WriteDone,
    rivta,
    write_answer,
)
from gateway.bootstrap.runtime import Runtime
from gateway.domain.access import Scope
from gateway.domain.booking import BookingEvent
from gateway.fhir.common import FhirVersion
from gateway.primitives.errors import NordgateError, NotFound

__all__ = ["router"]

router = APIRouter()
_log = logging.getLogger("nordgate.rivta")
_trees: dict[Path, ContractTree] = {}


def _endpoint(request: Request, spec: Interaction) -> str:
    # The URL the consumer called (uvicorn's --proxy-headers / --forwarded-allow-ips give the public one).
    return str(request.base_url).rstrip("/") + spec.path


def _contract(runtime: Runtime) -> ContractTree:
    folder = runtime.settings.rivta_contract_dir
    if folder is None or not (folder / "interactions").is_dir():
        raise NotFound("RIVTA_CONTRACT_NOT_CONFIGURED", "set NORDGATE_RIVTA_CONTRACT_DIR to the folder of "
                             "Inera's crm:scheduling 1.1 service contract (TD_SCHEDULING_1_1_0_R); docs/rivta.md")
    tree = _trees.get(folder)
    if tree is None:
        tree = _trees[folder] = ContractTree(folder)
    return tree


async def _contract_document(request: Request, spec: Interaction) -> Response:
    runtime: Runtime = request.app.state.runtime
    try:
        check_scope(principal_of(request), Scope.BOOKINGS_PUSH if spec.is_write else Scope.FHIR_READ)
        params = request.query_params
        if "wsdl" in params or "WSDL" in params:
            found = _contract(runtime).served("wsdl", spec.wsdl_file, _endpoint(request, spec))
        elif "xsd" in params:
            found = _contract(runtime).served("xsd", params["xsd"], _endpoint(request, spec))
        else:
            return fault_response("METHOD_NOT_ALLOWED", 405)
    except NordgateError as refused:
        if refused.code == "RIVTA_CONTRACT_NOT_CONFIGURED":  # a plain 404: a WSDL reader reads no Fault
            return Response(f"{refused.code}: {refused.message}\n", status_code=404, media_type="text/plain")
        return fault_response(refused.code, refused.http_status)
    if found is None:
        return Response(b"ROUTE_NOT_FOUND: no such document in the service contract\n", status_code=404,
                        media_type="text/plain")
    return Response(found, media_type=SOAP_XML)


def _read(request: Request, producer: RivtaProducer, spec: Interaction, body: bytes, *, soap_action: str | None,
          source: str) -> tuple[str, SoapRequest, list[BookingEvent], NordgateError | None]:
    """The body's SHA-256 (noted for the audit row, and the receipt key's), the envelope (its refusal
    raises: a Fault) and a write's events (its refusal is returned: an ERROR answer), in one trip to a
    worker thread."""
    digest = note_body(request, body)
    soap = producer.request(spec, body, soap_action)
    if not spec.is_write:
        return digest, soap, [], None
    try:
        return digest, soap, producer.write_events(soap, source), None
    except NordgateError as refused:
        return digest, soap, [], refused


async def _answer(request: Request, spec: Interaction) -> Response:
    runtime: Runtime = request.app.state.runtime
    producer = runtime.rivta
    assert producer is not None  # built by gateway/bootstrap/runtime.py
    principal = principal_of(request)
    try:
        check_scope(principal, Scope.BOOKINGS_PUSH if spec.is_write else Scope.FHIR_READ)
        source = source_of(request, runtime, from_query=False)
        body = await read_limited_body(request, runtime.settings.max_body_bytes, note=False)
        # Parsing is CPU work that grows with the body: in a worker thread, as POST /bookings does, so
        # that the event loop keeps serving other requests.
        digest, soap, events, refusal = await asyncio.to_thread(
            _read, request, producer, spec, body, soap_action=request.headers.get("soapaction"), source=source)
    except NordgateError as refused:
        return fault_response(refused.code, refused.http_status)
    try:
        if refusal is not None:
            raise refusal
        if spec.is_write:
            require_tenant(principal, soap.logical_address, "unit")
            key = producer.receipt_key(spec.name, body, source, digest=digest)
            stored = runtime.ingest.work(key, events, FhirVersion.R4, render=producer.answer_renderer(spec))
            work = audited_push(request, producer.write_work(stored), source)
            done: WriteDone = await asyncio.wrap_future(runtime.writer.submit(work))
            audit_note(request).recorded = True
            return Response(done.answer, media_type=SOAP_XML)
        unit, query = producer.read(spec, soap)
        require_tenant(principal, unit, "unit")
        return Response(await asyncio.to_thread(query), media_type=SOAP_XML)
    except NordgateError as refused:
        row = answer_for(refused.code, refused.http_status)
        # Code and location only: the message may quote a personnummer.
        _log.info("rivta %s refused: %s at %s", spec.name, refused.code, refused.location)
        if spec.is_write and row.kind == "error":
            result = rivta.WriteResult(rivta.ResultCode.ERROR, result_text(refused.code, row.sv, row.en))
            return Response(write_answer(spec.name, result), media_type=SOAP_XML)
        return fault_response(refused.code, refused.http_status)


def _routes(spec: Interaction) -> None:
    async def get(request: Request) -> Response:
        return await _contract_document(request, spec)

    async def post(request: Request) -> Response:
        return await _answer(request, spec)

    router.add_api_route(spec.path, get, methods=["GET"], name=f"rivta-{spec.name}-contract", include_in_schema=False)
    router.add_api_route(spec.path, post, methods=["POST"], name=f"rivta-{spec.name}", include_in_schema=False)


for _spec in INTERACTIONS.values():
    _routes(_spec)


@router.api_route("/rivta/{rest:path}", methods=["GET", "POST"], include_in_schema=False, name="rivta-unknown")
async def unknown(request: Request, rest: str) -> Response:
    """A path under /rivta that is no interaction: a Fault, as the consumer's stub expects."""
    return fault_response("ROUTE_NOT_FOUND", 404)
