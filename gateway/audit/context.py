"""Who is acting in the current request, for code far from the route (the settlement service
records ``settlement.sign`` while it signs).

The HTTP hook binds the request's ASGI scope to a context variable; the actor is read from it
lazily, because the principal is set on ``request.state`` by the auth dependency *after* the hook
has started. Context variables follow the request into ``run_in_threadpool`` (anyio copies the
context), so the service, running in a worker thread, sees the same request.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, MutableMapping
from contextvars import ContextVar, Token
from typing import Any

from gateway.domain.audit import ANONYMOUS, Actor
from gateway.primitives.request_id import current_request_id

__all__ = ["actor_of_scope", "bind_scope", "current_actor", "unbind_scope"]

_SCOPE: ContextVar[MutableMapping[str, Any] | None] = ContextVar("nordgate_audit_scope", default=None)
# A request id is the client's text: keep it short and free of anything that could forge a log line.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:\-]{1,100}")


def _request_id(scope: Mapping[str, Any]) -> str | None:
    # The observability middleware binds the (checked or fresh) id; the header only without it.
    value = current_request_id()
    if value is None:
        for name, raw in scope.get("headers") or ():
            if name == b"x-request-id":
                value = raw.decode("latin-1")
                break
    return value if value is not None and _REQUEST_ID.fullmatch(value) else None


def actor_of_scope(scope: Mapping[str, Any]) -> Actor:
    """The principal on ``request.state`` (client id, tenants), or ``anonymous``; plus the request id."""
    state = scope.get("state") or {}
    principal = state.get("principal")
    request_id = _request_id(scope)
    if principal is None:
        return Actor(ANONYMOUS.client_id, (), request_id)
    return Actor(str(principal.client_id), tuple(sorted(str(t) for t in principal.tenants)), request_id)


def bind_scope(scope: MutableMapping[str, Any]) -> Token[MutableMapping[str, Any] | None]:
    return _SCOPE.set(scope)


def unbind_scope(token: Token[MutableMapping[str, Any] | None]) -> None:
    _SCOPE.reset(token)


def current_actor(default: Actor = ANONYMOUS) -> Actor:
    """The actor of the request being served in this context, or ``default`` outside a request."""
    scope = _SCOPE.get()
    return actor_of_scope(scope) if scope is not None else default
