"""The authentication wall: an ASGI middleware in front of every route.

It runs before routing, so an unauthenticated caller learns nothing, not even whether a path
exists (an unknown path is 401 too), and no body is read for it. Only the health and metrics
paths pass without a token. On success the :class:`~gateway.domain.access.Principal` is put on
``request.state.principal`` (``scope["state"]``) for the routes, the scope checks and the audit.
The token itself is never logged, stored, or echoed back. A refusal leaves an ``auth.refused``
audit row of client ``anonymous``, at most ``NORDGATE_AUDIT_AUTH_REFUSALS_PER_MINUTE`` a minute
(:mod:`gateway.audit.refusals` says how a flood is kept from filling the table).
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.api.audit_middleware import recorder_of
from gateway.api.docs_page import DOCS_PATHS
from gateway.api.observability_middleware import route_template
from gateway.api.outcome import outcome_response
from gateway.api.rivta_faults import fault_response, is_rivta_path
from gateway.audit.context import actor_of_scope
from gateway.audit.refusals import RefusalSampler, refusal_entry
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
    def __init__(self, app: ASGIApp, authenticator: Authenticator, refusals: RefusalSampler | None = None,
                 *, public_docs: bool = False) -> None:
        self.app = app
        self.authenticator = authenticator
        self.refusals = refusals
        # NORDGATE_DOCS_PUBLIC: the API documentation page opens in a browser, which sends no token.
        self.public = PUBLIC_PATHS | DOCS_PATHS if public_docs else PUBLIC_PATHS

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or _route_path(scope) in self.public:
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        try:
            principal = self.authenticator.authenticate(Headers(scope=scope).get("authorization"),
                                                        client[0] if client else None)
        except NordgateError as refused:
            self._audit(scope, refused)
            if is_rivta_path(_route_path(scope)):  # a RIVTA consumer reads a SOAP Fault (gateway/api/rivta_faults.py)
                await fault_response(refused.code, refused.http_status)(scope, receive, send)
                return
            response = outcome_response(refused.http_status, refused.code, refused.message)
            if refused.http_status == 401:
                response.headers["WWW-Authenticate"] = WWW_AUTHENTICATE
            await response(scope, receive, send)
            return
        scope.setdefault("state", {})["principal"] = principal
        await self.app(scope, receive, send)

    def _audit(self, scope: Scope, refused: NordgateError) -> None:
        recorder = recorder_of(scope)
        if recorder is None or self.refusals is None:
            return
        write, suppressed = self.refusals.admit()
        actor = actor_of_scope(scope)
        if suppressed:
            recorder.record(refusal_entry(actor, refused.http_status, suppressed=suppressed,
                                          window_s=int(self.refusals.window_s)))
        if write:
            client = scope.get("client")
            recorder.record(refusal_entry(actor, refused.http_status, code=refused.code,
                                          method=str(scope.get("method", ""))[:16], route=route_template(scope),
                                          peer=str(client[0])[:64] if client else None))
