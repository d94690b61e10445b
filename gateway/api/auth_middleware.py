"""The authentication wall: an ASGI middleware in front of every route.

It runs before routing, so an unauthenticated caller learns nothing, not even whether a path
exists (an unknown path is 401 too), and no body is read for it. Only the health and metrics
paths pass without a token. On success the :class:`~gateway.domain.access.Principal` is put on
``request.state.principal`` (``scope["state"]``) for the routes, the scope checks and the audit.
The token itself is never logged, stored, or echoed back.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.api.outcome import outcome_response
from gateway.auth.authenticate import Authenticator
from gateway.primitives.errors import NordgateError

__all__ = ["PUBLIC_PATHS", "WWW_AUTHENTICATE", "AuthMiddleware"]

#: Answer without a token: probes of orchestrators and the metrics scraper.
PUBLIC_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
WWW_AUTHENTICATE = 'Bearer error="invalid_token"'


def _route_path(scope: Scope) -> str:
    path: str = scope.get("path", "")
    root: str = scope.get("root_path", "")
    return path[len(root):] if root and path.startswith(root) else path


class AuthMiddleware:
    def __init__(self, app: ASGIApp, authenticator: Authenticator) -> None:
        self.app = app
        self.authenticator = authenticator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or _route_path(scope) in PUBLIC_PATHS:
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        try:
            principal = self.authenticator.authenticate(Headers(scope=scope).get("authorization"),
                                                        client[0] if client else None)
        except NordgateError as refused:
            response = outcome_response(refused.http_status, refused.code, refused.message)
            if refused.http_status == 401:
                response.headers["WWW-Authenticate"] = WWW_AUTHENTICATE
            await response(scope, receive, send)
            return
        scope.setdefault("state", {})["principal"] = principal
        await self.app(scope, receive, send)
