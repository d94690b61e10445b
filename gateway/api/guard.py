"""Per-route authorisation: the scope a route needs, as a FastAPI dependency.

Every route except health and metrics declares one with ``dependencies=[require_scope(...)]``
(or its router does); ``tests/gateway/auth/test_route_walk.py`` walks the OpenAPI document and fails for a
route a client without scopes can reach. The dependency also makes the OpenAPI document declare
the bearer security scheme on each such operation. Authentication itself is the middleware's
(:mod:`gateway.api.auth_middleware`): here the principal is only read.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from gateway.domain.access import Principal, Scope
from gateway.primitives.errors import Forbidden, Unauthenticated

__all__ = ["check_scope", "principal_of", "require_scope"]

# Documentation only (auto_error=False): the middleware has already authenticated the request.
_BEARER = HTTPBearer(auto_error=False, scheme_name="bearer", bearerFormat="JWT (RS256/ES256) or API key",
                     description="Authorization: Bearer <JWT or API key>; README 'Security: clients, tokens, "
                                 "tenants'")


def principal_of(request: Request) -> Principal:
    """The authenticated caller (set by :class:`~gateway.api.auth_middleware.AuthMiddleware`)."""
    principal = getattr(request.state, "principal", None)
    if not isinstance(principal, Principal):
        # Only reachable if the middleware was left out: refuse rather than serve anonymously.
        raise Unauthenticated("TOKEN_MISSING", "send Authorization: Bearer <token or API key>")
    return principal


def check_scope(principal: Principal, *any_of: Scope) -> Principal:
    """Refuse (403 ``SCOPE_MISSING``) a caller without any of ``any_of``; the caller otherwise."""
    names = tuple(scope.value for scope in any_of)
    if not any(principal.has_scope(name) for name in names):
        raise Forbidden("SCOPE_MISSING", f"this request needs the scope {' or '.join(names)}")
    return principal


def require_scope(*any_of: Scope) -> Any:
    """A dependency refusing (403 ``SCOPE_MISSING``) a caller without any of ``any_of``."""
    def _check(request: Request,
               _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_BEARER)]) -> Principal:
        return check_scope(principal_of(request), *any_of)

    return Depends(_check)
