"""The FHIR read side: metadata, read, vread and search of the stored resources."""

from __future__ import annotations

import datetime as dt
import functools
import threading
from collections.abc import Callable
from typing import Annotated, Any, TypeVar
from urllib.parse import urlencode

import anyio
import orjson
from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from gateway.api.audit_middleware import audit_note
from gateway.api.capability import capability_statement
from gateway.api.guard import principal_of
from gateway.api.media import fhir_version_from
from gateway.api.openapi_docs import FhirJSONResponse, fhir_ok
from gateway.api.outcome import FHIR_JSON
from gateway.api.search import JSON_FORMATS, SEARCH_PARAMETERS, SearchRequest, parse_search
from gateway.auth.tenancy import may_see, record_tenant, sees_all, tenant_condition
from gateway.bootstrap.runtime import Runtime
from gateway.fhir.common import FhirVersion
from gateway.fhir.kinds import decode_stored, render_record, render_stored
from gateway.fhir.render import history_bundle, searchset_bundle
from gateway.ports.store import SearchCancelled, SearchPage, Stored
from gateway.primitives.errors import NotAcceptable, NotFound
from gateway.primitives.version import software_version

__all__ = ["router"]

T = TypeVar("T")
#: The status nginx logs for a client that closed the connection before its answer: nobody reads it.
CLIENT_CLOSED = 499

# FHIR JSON answers, as the OpenAPI document now says (it claimed application/json before).
router = APIRouter(prefix="/fhir", default_response_class=FhirJSONResponse, responses=fhir_ok())
_STARTED = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
# Documented, not validated by FastAPI: another type stays a 404 RESOURCE_TYPE_UNSUPPORTED OperationOutcome.
ResourceType = Annotated[str, Path(description="a served resource type",
                                   json_schema_extra={"enum": list(SEARCH_PARAMETERS)})]
# The search route reads its query itself (to refuse unknown names); the document still lists the names.
_SEARCH_QUERY = {"parameters": [
    {"name": name, "in": "query", "required": False, "schema": {"type": "string"},
     "description": "; ".join(f"{kind}: {params[name][2]}" for kind, params in SEARCH_PARAMETERS.items()
                             if name in params)}
    for name in dict.fromkeys(name for params in SEARCH_PARAMETERS.values() for name in params)
] + [{"name": name, "in": "query", "required": False, "schema": {"type": "string"}, "description": text}
     for name, text in (
         ("_count", "page size (default 50, at most 500); 0: the total only, no entries"),
         ("_offset", "paging offset"),
         ("_sort", "date, -date (a date parameter of the type, Slot: start), _lastUpdated, -_lastUpdated"),
         ("_summary", "count: the total only, no entries"),
         ("_format", "json (or application/fhir+json); XML is answered 406"))]}
_NOT_MODIFIED: dict[int | str, dict[str, Any]] = {
    304: {"description": "Not Modified: If-None-Match names the current version's ETag (no body)"}}
# Media ranges of Accept that FHIR JSON satisfies.
_JSON_RANGES = frozenset({"*/*", "application/*", "application/fhir+json", "application/json",
                          "application/json+fhir"})


def _runtime(request: Request) -> tuple[Runtime, FhirVersion]:
    _negotiate(request)
    runtime: Runtime = request.app.state.runtime
    version = fhir_version_from(request.headers.get("accept"), request.query_params.get("_fhirVersion"),
                                runtime.default_version)
    return runtime, version


def _negotiate(request: Request) -> None:
    """FHIR JSON is the only format served: ``_format`` (which overrides Accept, as FHIR says) or an
    Accept that JSON does not satisfy is answered 406, never JSON the client did not ask for."""
    wanted = request.query_params.getlist("_format")
    if wanted:
        if any(value not in JSON_FORMATS for value in wanted):
            raise NotAcceptable("FORMAT_NOT_ACCEPTABLE", f"_format={wanted[0][:40]} is not served; FHIR JSON only "
                                "(_format=json or application/fhir+json)", location="_format")
        return
    accept = request.headers.get("accept")
    if not accept or not accept.strip():
        return
    for media_range in accept.split(","):
        media, *parameters = (part.strip() for part in media_range.split(";"))
        refused = any(p.replace(" ", "").lower() in {"q=0", "q=0.0", "q=0.00", "q=0.000"} for p in parameters)
        if media.lower() in _JSON_RANGES and not refused:
            return
    raise NotAcceptable("FORMAT_NOT_ACCEPTABLE", f"Accept {accept[:80]} is not served; FHIR JSON only "
                        "(application/fhir+json)")


def _not_modified(request: Request, etag: str) -> Response | None:
    """304 when ``If-None-Match`` names the current version (weak comparison, RFC 9110 13.1.2)."""
    header = request.headers.get("if-none-match")
    if header is None:
        return None
    tags = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    if "*" in tags or etag.removeprefix("W/") in tags:
        return Response(status_code=304, headers={"ETag": etag})
    return None


def _fhir(body: dict[str, Any], version: FhirVersion, *, etag: str | None = None,
          last_modified: str | None = None) -> Response:
    headers = {}
    if etag:
        headers["ETag"] = etag
    if last_modified:
        headers["Last-Modified"] = last_modified
    return Response(orjson.dumps(body), media_type=f"{FHIR_JSON}; fhirVersion={version.value}", headers=headers)


def _check_type(resource_type: str) -> None:
    if resource_type not in SEARCH_PARAMETERS:
        raise NotFound("RESOURCE_TYPE_UNSUPPORTED", f"{resource_type} is not served here; served: "
                       + ", ".join(SEARCH_PARAMETERS))


def _visible(request: Request, stored: Stored | None) -> tuple[Stored, object] | None:
    """The stored resource and its decoded record if the caller may see it; another tenant's is None,
    so that it answers 404 exactly as a resource that does not exist."""
    if stored is None:
        return None
    record = decode_stored(stored)
    principal = principal_of(request)
    if sees_all(principal):
        return stored, record
    tenant = record_tenant(record)
    appointment_id = getattr(record, "appointment_id", None)
    if tenant is None and isinstance(appointment_id, str):
        # An AppointmentResponse stored before it carried its unit: the answered appointment's.
        parent = request.app.state.runtime.store.read("Appointment", appointment_id)
        tenant = record_tenant(decode_stored(parent)) if parent is not None else None
    return (stored, record) if may_see(principal, tenant) else None


@router.get("/metadata", summary="CapabilityStatement")
def metadata(request: Request) -> Response:
    runtime, version = _runtime(request)
    return _fhir(capability_statement(version, base_url=runtime.settings.base_url,
                                      software_version=software_version(), published=_STARTED), version)


@router.get("/{resource_type}/{resource_id}", summary="Read a resource", responses=_NOT_MODIFIED)
def read(resource_type: ResourceType, resource_id: str, request: Request) -> Response:
    runtime, version = _runtime(request)
    _check_type(resource_type)
    found = _visible(request, runtime.store.read(resource_type, resource_id))
    if found is None:
        raise NotFound("RESOURCE_NOT_FOUND", f"no {resource_type}/{resource_id}")
    stored, record = found
    etag = f'W/"{stored.version_id}"'
    if (unchanged := _not_modified(request, etag)) is not None:
        return unchanged
    return _fhir(render_record(record, stored, runtime.mappings, version), version,
                 etag=etag, last_modified=stored.last_updated)


@router.get("/{resource_type}/{resource_id}/_history", summary="Every version of a resource (Bundle history)")
def history(resource_type: ResourceType, resource_id: str, request: Request) -> Response:
    runtime, version = _runtime(request)
    _check_type(resource_type)
    versions = runtime.store.history(resource_type, resource_id)
    # The newest version decides visibility: a resource keeps its unit across versions.
    if not versions or _visible(request, versions[0]) is None:
        raise NotFound("RESOURCE_NOT_FOUND", f"no {resource_type}/{resource_id}")
    base = runtime.settings.base_url
    resources = [render_stored(stored, runtime.mappings, version) for stored in versions]
    return _fhir(history_bundle(resources, base_url=base,
                                self_link=f"{base}/{resource_type}/{resource_id}/_history"), version)


@router.get("/{resource_type}/{resource_id}/_history/{version_id}", summary="Read one version of a resource",
            responses=_NOT_MODIFIED)
def vread(resource_type: ResourceType, resource_id: str, version_id: str, request: Request) -> Response:
    runtime, version = _runtime(request)
    _check_type(resource_type)
    # ASCII digits only ("²" is a digit to isdigit()) and within SQLite's 64-bit INTEGER.
    number = int(version_id) if version_id.isascii() and version_id.isdigit() and len(version_id) <= 18 else None
    stored = runtime.store.read_version(resource_type, resource_id, number) if number is not None else None
    # A resource keeps its unit across versions (its id is derived from it), so each version's own does.
    found = _visible(request, stored)
    if found is None:
        raise NotFound("RESOURCE_VERSION_NOT_FOUND", f"no {resource_type}/{resource_id} version {version_id}")
    stored, record = found
    etag = f'W/"{stored.version_id}"'
    if (unchanged := _not_modified(request, etag)) is not None:
        return unchanged
    return _fhir(render_record(record, stored, runtime.mappings, version), version, etag=etag)


@router.get("/{resource_type}", summary="Search resources", openapi_extra=_SEARCH_QUERY)
async def search(resource_type: ResourceType, request: Request) -> Response:
    runtime, version = _runtime(request)
    _check_type(resource_type)
    query = list(request.query_params.multi_items())
    wanted = parse_search(resource_type, query, runtime.zone)
    # Filtered in the store's query, so totals and paging count only the caller's tenants' resources.
    only_tenants = tenant_condition(resource_type, principal_of(request))
    conditions = [*wanted.conditions, only_tenants] if only_tenants is not None else wanted.conditions
    cancel = threading.Event()

    def run() -> SearchPage:
        return runtime.store.search(resource_type, conditions, count=wanted.count, offset=wanted.offset,
                                    sort=wanted.sort, cancel=cancel)

    try:
        page = await _unless_client_leaves(request, run, cancel)
    except SearchCancelled:
        return Response(status_code=CLIENT_CLOSED)  # nobody is there to read it; logs and metrics say 499
    audit_note(request).detail.update(total=page.total, returned=len(page.items))  # counts, never values
    body = await anyio.to_thread.run_sync(functools.partial(_searchset, runtime, version, resource_type, query=query,
                                                            wanted=wanted, page=page))
    return _fhir(body, version)


async def _unless_client_leaves(request: Request, work: Callable[[], T], cancel: threading.Event) -> T:
    """Run ``work`` in a worker thread; if the client disconnects meanwhile, set ``cancel`` (the store
    then interrupts its query) instead of letting the database work for nobody."""
    outcome: list[T] = []
    failure: list[BaseException] = []

    async def watch() -> None:
        while not await request.is_disconnected():
            await anyio.sleep(0.05)
        cancel.set()

    async with anyio.create_task_group() as group:
        group.start_soon(watch)
        try:
            outcome.append(await anyio.to_thread.run_sync(work))
        except Exception as exc:  # handed on below, outside the task group (no ExceptionGroup)
            failure.append(exc)
        group.cancel_scope.cancel()
    if failure:
        raise failure[0]
    return outcome[0]


def _searchset(runtime: Runtime, version: FhirVersion, resource_type: str, *, query: list[tuple[str, str]],
               wanted: SearchRequest, page: SearchPage) -> dict[str, Any]:
    base = runtime.settings.base_url
    kept = [(name, value) for name, value in query if name != "_offset"]
    self_link = f"{base}/{resource_type}?{urlencode([*kept, ('_offset', wanted.offset)])}"
    next_offset = wanted.offset + wanted.count
    next_link = (f"{base}/{resource_type}?{urlencode([*kept, ('_offset', next_offset)])}"
                 if wanted.count and next_offset < page.total else None)
    resources = [render_stored(stored, runtime.mappings, version) for stored in page.items]
    bundle = searchset_bundle(resources, total=page.total, base_url=base, self_link=self_link, next_link=next_link)
    if not wanted.count:  # _count=0 or _summary=count: the total only, no entry element at all
        del bundle["entry"]
    return bundle
