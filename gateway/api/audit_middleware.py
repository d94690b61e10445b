"""The HTTP hook: one ASGI middleware records every audited route's action with its outcome.

Which action a request is comes from the route it matched (:data:`ROUTE_ACTIONS`; the accounts
routes by their ``/accounts`` prefix), so a request refused before its route body ran (401, 403,
404, 422) is recorded too. The route's path parameters name the resource; a route may add what
only it knows through :func:`audit_note` (search totals, a settlement id, the body hash). The
status code is the one really sent. Cost per request: a dictionary look-up, and for reads one
SHA-256 over the response body; the row goes to the buffered writer after the answer is sent.
Writes other than pushes are recorded durably *before* their answer starts
(:meth:`~gateway.audit.recorder.AuditRecorder.record_now`); a push's success row is written by the
push's own transaction (the route marks it ``recorded``).

Search parameters are recorded by *name* only, and only names made of letters, ``_ : . -``: a
mistyped parameter whose name is a personnummer must not land in the trail either.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar
from urllib.parse import parse_qsl

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.audit.context import actor_of_scope, bind_scope, unbind_scope
from gateway.audit.events import push_entry
from gateway.audit.recorder import AuditRecorder
from gateway.domain.audit import Action, AuditEntry, make_entry, sha256_hex

__all__ = ["ROUTE_ACTIONS", "AuditMiddleware", "AuditNote", "audit_note", "audited_push", "note_body",
           "note_resource", "recorder_of"]

T = TypeVar("T")

_log = logging.getLogger("nordgate.audit")

Kind = Literal["read", "search", "write", "push", "preview"]
#: (method, route path) → (action, kind). ``read``/``search``: buffered, the response body hashed;
#: ``write``: durable before the answer, the request body hashed; ``push``/``preview``: the request
#: body hashed, buffered (a successful push is recorded by its own transaction).
ROUTE_ACTIONS: dict[tuple[str, str], tuple[str, Kind]] = {
    ("POST", "/bookings"): (Action.BOOKING_PUSH, "push"),
    ("POST", "/preview"): (Action.PREVIEW_RUN, "preview"),
    ("POST", "/preview/session"): (Action.PREVIEW_RUN, "preview"),
    ("POST", "/playground/compare"): (Action.PREVIEW_RUN, "preview"),
    ("GET", "/fhir/{resource_type}/{resource_id}"): (Action.FHIR_READ, "read"),
    ("GET", "/fhir/{resource_type}/{resource_id}/_history/{version_id}"): (Action.FHIR_VREAD, "read"),
    ("GET", "/fhir/{resource_type}/{resource_id}/_history"): (Action.FHIR_VREAD, "read"),
    ("GET", "/fhir/{resource_type}"): (Action.FHIR_SEARCH, "search"),
    ("GET", "/fhir/ConceptMap"): (Action.FHIR_SEARCH, "search"),
    ("GET", "/fhir/ConceptMap/{map_id}"): (Action.FHIR_READ, "read"),
    ("GET", "/fhir/ConceptMap/$translate"): (Action.FHIR_OPERATION, "search"),
    ("POST", "/fhir/ConceptMap/$translate"): (Action.FHIR_OPERATION, "search"),
    ("GET", "/fhir/ConceptMap/{map_id}/$translate"): (Action.FHIR_OPERATION, "search"),
    ("POST", "/fhir/ConceptMap/{map_id}/$translate"): (Action.FHIR_OPERATION, "search"),
    ("POST", "/settlements"): (Action.SETTLEMENT_SUBMIT, "write"),
    ("GET", "/settlements/{settlement_id}"): (Action.SETTLEMENT_READ, "read"),
    ("GET", "/settlements/{settlement_id}/message"): (Action.SETTLEMENT_MESSAGE_READ, "read"),
    ("POST", "/apprec"): (Action.APPREC_RECEIVE, "write"),
    ("GET", "/group-appointments/{appointment_id}/bills"): (Action.BILLS_READ, "read"),
    ("GET", "/group-appointments/{appointment_id}/bill-cards"): (Action.BILLS_READ, "read"),
    ("GET", "/bill-cards"): (Action.BILLS_READ, "search"),
    ("GET", "/reports/self-service"): (Action.REPORT_READ, "search"),
    ("GET", "/reports/self-service/chart.svg"): (Action.REPORT_READ, "search"),
    ("GET", "/audit"): (Action.AUDIT_READ, "search"),
    ("GET", "/audit/export"): (Action.AUDIT_EXPORT, "search"),
    # crm:scheduling 1.1 producer (gateway/api/routes_rivta.py): the writes are pushes, the reads read patient data.
    **{("POST", f"/rivta/{name}/1/rivtabp21"): (Action.BOOKING_PUSH, "push")
       for name in ("MakeBooking", "UpdateBooking", "CancelBooking")},
    ("POST", "/rivta/GetBookingDetails/1/rivtabp21"): (Action.FHIR_READ, "read"),
    ("POST", "/rivta/GetSubjectOfCareSchedule/1/rivtabp21"): (Action.FHIR_SEARCH, "search"),
    ("POST", "/rivta/GetAvailableTimeslots/1/rivtabp21"): (Action.FHIR_SEARCH, "search"),
}
_ACCOUNT_VERBS: dict[str, str] = {"POST": "create", "PUT": "update", "PATCH": "update", "DELETE": "delete"}
# Path parameter → the resource type it names (resource_type names itself).
_PATH_TYPES = {"map_id": "ConceptMap", "settlement_id": "Settlement", "appointment_id": "Appointment",
               "account_id": "Account"}
_PARAM_NAME = re.compile(r"[A-Za-z_][A-Za-z_:.\-]{0,63}")
_NOTE = "nordgate.audit"


@dataclass
class AuditNote:
    """What a route adds to its request's row. ``recorded``: the route wrote the row itself."""

    resource_type: str | None = None
    resource_id: str | None = None
    message_id: str | None = None
    body_sha256: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    recorded: bool = False


def audit_note(request: Request) -> AuditNote:
    note = request.scope.get(_NOTE)
    if not isinstance(note, AuditNote):  # an app without the middleware (a unit test): a throwaway note
        note = AuditNote()
        request.scope[_NOTE] = note
    return note


def note_body(request: Request, body: bytes) -> str:
    """Remember the SHA-256 of the request body for the row; returns it."""
    digest = sha256_hex(body)
    audit_note(request).body_sha256 = digest
    return digest


def note_resource(request: Request, resource_type: str, resource_id: str | None, *,
                  message_id: str | None = None, **detail: Any) -> None:
    """Name what a route acted on when its path does not (a new settlement, an AppRec's message)."""
    note = audit_note(request)
    note.resource_type, note.resource_id = resource_type, resource_id
    if message_id is not None:
        note.message_id = message_id
    note.detail.update(detail)


def audited_push(request: Request, work: Callable[[Any], T], source: str) -> Callable[[Any], T]:
    """The push's unit of work, adding its ``booking.push`` row to its own transaction. The route
    sets ``audit_note(request).recorded`` once the push is acknowledged; a refused push is
    recorded by the middleware instead."""
    recorder = _recorder(request.scope)
    if recorder is None:
        return work
    actor = actor_of_scope(request.scope)
    note = audit_note(request)

    def describe(result: Any) -> AuditEntry:
        return push_entry(actor, note.body_sha256, source, result.body, replayed=result.replayed)

    return recorder.in_unit_of_work(work, describe)


def _action_of(scope: Scope) -> tuple[str, Kind] | None:
    route = scope.get("route")
    path = getattr(route, "path", None)
    if not isinstance(path, str):
        return None
    method = scope.get("method", "GET")
    found = ROUTE_ACTIONS.get((method, path))
    if found is not None:
        return found
    if path == "/accounts" or path.startswith("/accounts/"):
        if method in _ACCOUNT_VERBS:
            return f"account.{_ACCOUNT_VERBS[method]}", "write"
        return ("account.read" if "{" in path else "account.list"), "read"
    return None


def _param_names(scope: Scope) -> list[str]:
    raw = scope.get("query_string", b"").decode("latin-1")
    names = {name if _PARAM_NAME.fullmatch(name) else "?" for name, _ in parse_qsl(raw, keep_blank_values=True)}
    return sorted(names)


def _entry(scope: Scope, spec: tuple[str, Kind], status: int, note: AuditNote, body_hash: str | None) -> AuditEntry:
    action, kind = spec
    params = scope.get("path_params") or {}
    resource_type, resource_id = note.resource_type, note.resource_id
    if resource_type is None:
        resource_type = params.get("resource_type")
        for name, named in _PATH_TYPES.items():
            if name in params:
                resource_type = resource_type or named
                resource_id = resource_id or str(params[name])
        if "resource_id" in params:
            resource_id = resource_id or str(params["resource_id"])
    detail = dict(note.detail)
    if "version_id" in params:
        detail["version"] = str(params["version_id"])[:20]
    if kind == "search":
        detail["params"] = _param_names(scope)
    digest = note.body_sha256 if kind in ("write", "push", "preview") else body_hash
    # Path parameters are the client's text: bounded, so a row stays a row whatever was sent.
    resource_type = resource_type[:64] if resource_type else None
    resource_id = resource_id[:128] if resource_id else None
    return make_entry(actor_of_scope(scope), action, status, resource_type=resource_type, resource_id=resource_id,
                      message_id=note.message_id, body_sha256=digest, detail=detail)


class AuditMiddleware:
    """Pure ASGI (no response buffering): sees the status and body chunks as they are sent."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        note = AuditNote()
        scope[_NOTE] = note
        scope.setdefault("state", {})  # one dict shared with request.state, read after the route ran
        token = bind_scope(scope)
        status = 500
        spec: tuple[str, Kind] | None = None
        digest: Any = None

        async def send_audited(message: Message) -> None:
            nonlocal status, spec, digest
            if message["type"] == "http.response.start":
                status = int(message["status"])
                spec = _action_of(scope)
                if spec is not None and spec[1] in ("read", "search") and status < 300:
                    digest = hashlib.sha256()
                if spec is not None and spec[1] == "write" and not note.recorded:
                    await self._durable(scope, spec, status, note)
            elif message["type"] == "http.response.body" and digest is not None:
                digest.update(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, send_audited)
        finally:
            unbind_scope(token)
            if spec is None:
                spec = _action_of(scope)
            if spec is not None and not note.recorded:
                recorder = _recorder(scope)
                if recorder is not None:
                    recorder.record(_entry(scope, spec, status, note,
                                           digest.hexdigest() if digest is not None else None))

    async def _durable(self, scope: Scope, spec: tuple[str, Kind], status: int, note: AuditNote) -> None:
        recorder = _recorder(scope)
        if recorder is None:
            return
        note.recorded = True
        entry = _entry(scope, spec, status, note, None)
        try:
            await run_in_threadpool(recorder.record_now, entry)
        except Exception:  # the write it records is done and answered; its row stays buffered
            _log.exception("audit row of %s could not be written before the answer", spec[0])


def _recorder(scope: Scope) -> AuditRecorder | None:
    return recorder_of(scope)


def recorder_of(scope: Scope) -> AuditRecorder | None:
    """The running gateway's audit recorder (None for an app without an audit trail)."""
    app = scope.get("app")
    runtime = getattr(getattr(app, "state", None), "runtime", None)
    recorder = getattr(runtime, "audit", None)
    return recorder if isinstance(recorder, AuditRecorder) else None
