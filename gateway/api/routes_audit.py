"""The audit trail over HTTP (scope ``audit:read``).

- ``GET /audit?client=&action=&from=&to=&resource=&_count=&_offset=``: one page of rows in chain
  order, ``{"total", "count", "offset", "next", "entries"}``; ``action=account.*`` is a prefix.
- ``GET /audit/export?from=&to=`` (and the same filters): every matching row as NDJSON, streamed
  from the database a thousand rows at a time, for ranges of any size.

Tenant limit: a client bound to all tenants (``*``) sees every row; any other client sees the rows
recorded for a client bound to one of its own tenants. Rows of all-tenant clients (operators, the
``system:outbox`` worker) are therefore visible only to all-tenant auditors: their tenant binding
says nothing about whose data they touched. Both reads are themselves audited (``audit.read``,
``audit.export``).
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlencode

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse

from gateway.api.guard import principal_of, require_scope
from gateway.api.openapi_docs import ok_as
from gateway.audit.query import parse_query
from gateway.auth.tenancy import sees_all
from gateway.bootstrap.runtime import Runtime
from gateway.domain.access import Scope
from gateway.ports.audit import AuditLog, AuditQuery
from gateway.primitives.errors import TransientError

__all__ = ["router"]

router = APIRouter(prefix="/audit", tags=["audit"], dependencies=[require_scope(Scope.AUDIT_READ)])
NDJSON = "application/x-ndjson"
_PARAMS = [{"name": name, "in": "query", "required": False, "schema": {"type": "string"}, "description": text}
           for name, text in (("client", "client id"), ("action", "action, or a prefix ending in .* (account.*)"),
                              ("from", "date or instant, inclusive"), ("to", "date (whole day) or instant, exclusive"),
                              ("resource", "Type/id, an id or a message id"))]
_PAGING = [{"name": name, "in": "query", "required": False, "schema": {"type": "string"}, "description": text}
           for name, text in (("_count", "page size (default 100, at most 1000)"), ("_offset", "paging offset"))]


def _log_and_query(request: Request, *, paged: bool) -> tuple[AuditLog, AuditQuery]:
    runtime: Runtime = request.app.state.runtime
    if runtime.audit_log is None:
        raise TransientError("AUDIT_NOT_CONFIGURED", "this gateway runs without the audit trail")
    principal = principal_of(request)
    tenants = None if sees_all(principal) else frozenset(principal.tenants)
    params = dict(request.query_params.items())
    allowed = {"client", "action", "from", "to", "resource"} | ({"_count", "_offset"} if paged else set())
    return runtime.audit_log, parse_query(params, tenants=tenants, allowed=frozenset(allowed))


@router.get("", summary="Audit rows (who pushed, read, signed, sent and received what), paged",
            openapi_extra={"parameters": _PARAMS + _PAGING})
def audit_rows(request: Request) -> Response:
    audit_log, query = _log_and_query(request, paged=True)
    page = audit_log.query(query)
    following = query.offset + query.count
    next_link = None
    if following < page.total:
        kept = [(name, value) for name, value in request.query_params.multi_items() if name != "_offset"]
        next_link = f"{request.url.path}?{urlencode([*kept, ('_offset', following)])}"
    body = {"total": page.total, "count": len(page.rows), "offset": query.offset, "next": next_link,
            "entries": [row.to_json() for row in page.rows]}
    return Response(orjson.dumps(body), media_type="application/json")


@router.get("/export", summary="Audit rows as NDJSON, streamed (one JSON object a line)",
            response_class=StreamingResponse, responses=ok_as(NDJSON, "one audit row per line, in chain order"),
            openapi_extra={"parameters": _PARAMS})
def audit_export(request: Request) -> StreamingResponse:
    audit_log, query = _log_and_query(request, paged=False)

    def lines() -> Iterator[bytes]:
        for row in audit_log.export(query):
            yield orjson.dumps(row.to_json()) + b"\n"

    return StreamingResponse(lines(), media_type=NDJSON)
