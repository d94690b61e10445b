"""Per request: the request id (in, bound, out), the latency histogram by route template, one log line.

A plain ASGI middleware, not Starlette's ``BaseHTTPMiddleware``: that one runs the app in a second
task and buffers streaming bodies, which costs every push and would lose the context variable the
request id lives in for code running after the hand-off.

The route label is the matched route's template (``/fhir/{resource_type}/{id}``), never the raw
path: raw paths carry ids (one label per Appointment would be unbounded cardinality) and query
strings carry identity numbers (``patient:identifier=…|19121212…``), which must reach neither the
metrics nor the logs. A request no route matched is ``unmatched``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from typing import Any, Final

from starlette.datastructures import MutableHeaders
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.observability.metrics import GatewayMetrics
from gateway.primitives.request_id import HEADER, accept_request_id, bind_request_id

__all__ = ["ObservabilityMiddleware", "route_template"]

_log = logging.getLogger("nordgate.http")
_HEADER_BYTES: Final = HEADER.encode()
# Probes and scrapes come every few seconds: a log line each would drown the interesting ones.
_QUIET_ROUTES: Final = frozenset({"/healthz", "/readyz", "/metrics"})


def route_template(scope: Scope) -> str:
    route = scope.get("route")
    if route is None:
        route = _match(scope)
    path = getattr(route, "path", None)
    return path if isinstance(path, str) and path else "unmatched"


def _match(scope: Scope) -> object | None:
    """The route a request refused before routing (e.g. 401 from the authentication middleware) was
    for; only such requests and 404s pay for this walk over the routes."""
    return _match_in(getattr(getattr(scope.get("app"), "router", None), "routes", ()), scope, depth=0)


def _match_in(routes: Iterable[Any], scope: Scope, *, depth: int) -> object | None:
    for route in routes:
        match, _ = route.matches(scope)
        if match is not Match.FULL:
            continue
        if isinstance(getattr(route, "path", None), str):
            found: object = route
            return found
        # An included router (FastAPI wraps each include_router): look among its own routes.
        inner = getattr(getattr(route, "original_router", route), "routes", None)
        if inner is not None and depth < 4:
            return _match_in(inner, scope, depth=depth + 1)
    return None


def _header(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == _HEADER_BYTES:
            try:
                return str(value.decode("ascii"))
            except UnicodeDecodeError:
                return None
    return None


class ObservabilityMiddleware:
    def __init__(self, app: ASGIApp, metrics: GatewayMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = accept_request_id(_header(scope))
        # Each HTTP request runs in its own task (and so its own context copy): binding here reaches
        # the route, the thread pool it hands work to, and every log call made on its behalf.
        bind_request_id(request_id)
        status = 500  # what an exception escaping the app becomes
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                MutableHeaders(scope=message)[HEADER] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = route_template(scope)
            method = str(scope.get("method", ""))
            self.metrics.requests.labels(method, route, str(status)).observe(elapsed)
            if route not in _QUIET_ROUTES:
                _log.info("%s %s %d", method, route, status,
                          extra={"method": method, "route": route, "status": status,
                                 "duration_ms": round(elapsed * 1e3, 2)})
