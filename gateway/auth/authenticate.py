"""From an ``Authorization`` header to a :class:`~gateway.domain.access.Principal`, or a refusal.

``Bearer <JWT>`` (three dot-separated parts) is checked as a signed token of a configured issuer;
any other bearer value as a static API key. A JWT's scopes come from the token, its tenants from
the ``jwt_clients`` table of the settings; an API key's scopes and tenants from its settings entry.

With no client configured at all every request is refused (secure default). ``auth_disabled`` is a
development convenience only: refused at start-up unless the gateway listens on loopback, logged
as a warning at start-up, and even then only loopback peers are served.
"""

from __future__ import annotations

import ipaddress
import logging

from gateway.auth.api_keys import ApiKeyVerifier
from gateway.auth.jwt_tokens import JwtVerifier, TokenRefused
from gateway.config.security import WILDCARD_TENANT
from gateway.config.settings import Settings
from gateway.domain.access import ALL_SCOPES, Principal
from gateway.primitives.errors import ConfigurationError, Forbidden, Unauthenticated

__all__ = ["DEV_CLIENT_ID", "Authenticator", "build_authenticator", "is_loopback"]

DEV_CLIENT_ID = "auth-disabled-dev"
_log = logging.getLogger("nordgate.auth")


def is_loopback(host: str | None) -> bool:
    if host is None:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class Authenticator:
    def __init__(self, settings: Settings) -> None:
        self.disabled = settings.auth_disabled
        self._keys = ApiKeyVerifier(settings.api_keys)
        self._jwt = JwtVerifier(settings.jwt_issuers)
        self._jwt_clients = {client: frozenset(tenants) for client, tenants in settings.jwt_clients.items()}

    @property
    def configured(self) -> bool:
        return bool(self._keys) or bool(self._jwt)

    def authenticate(self, authorization: str | None, peer: str | None = None) -> Principal:
        if self.disabled:
            # Starlette's TestClient names its peer "testclient"; a network peer is always an address.
            if not is_loopback(peer) and peer != "testclient":
                raise Unauthenticated("AUTH_DISABLED_REMOTE", "authentication is disabled for local development; "
                                      "this gateway serves loopback peers only")
            return Principal(DEV_CLIENT_ID, ALL_SCOPES, frozenset({WILDCARD_TENANT}), "disabled")
        scheme, _, credential = (authorization or "").strip().partition(" ")
        credential = credential.strip()
        if not authorization:
            raise Unauthenticated("TOKEN_MISSING", "send Authorization: Bearer <token or API key>")
        if scheme.lower() != "bearer" or not credential:
            raise Unauthenticated("TOKEN_MALFORMED", "the Authorization header must be 'Bearer <token or API key>'")
        if credential.count(".") == 2:
            return self._from_jwt(credential)
        client = self._keys.verify(credential)
        if client is None:
            raise Unauthenticated("API_KEY_INVALID", "the API key is not known")
        return Principal(client.client_id, frozenset(client.scopes), frozenset(client.tenants), "api-key")

    def _from_jwt(self, token: str) -> Principal:
        if not self._jwt:
            raise Unauthenticated("TOKEN_ISSUER_UNKNOWN", "this gateway trusts no token issuer")
        try:
            claims = self._jwt.verify(token)
        except TokenRefused as refused:
            raise Unauthenticated(refused.code, refused.text) from None
        tenants = self._jwt_clients.get(claims.client_id)
        if tenants is None:
            # The token is genuine, but the operator has not bound this client to any tenant.
            raise Forbidden("CLIENT_NOT_CONFIGURED", "this client is not configured on the gateway (jwt_clients)")
        return Principal(claims.client_id, claims.scopes, tenants, "jwt")


def build_authenticator(settings: Settings) -> Authenticator:
    """At app build time: refuse an unsafe ``auth_disabled``, load the JWT keys, say what is configured."""
    if settings.auth_disabled:
        if not is_loopback(settings.host):
            raise ConfigurationError("SETTINGS_INVALID", "NORDGATE_AUTH_DISABLED=true is only allowed when the "
                                     f"gateway listens on loopback (NORDGATE_HOST is {settings.host})",
                                     location="auth_disabled")
        _log.warning("AUTHENTICATION IS DISABLED (NORDGATE_AUTH_DISABLED=true): every loopback caller has every "
                     "scope and sees every tenant. Development only; never in production.")
    authenticator = Authenticator(settings)
    if not settings.auth_disabled and not authenticator.configured:
        _log.warning("no client is configured (NORDGATE_API_KEYS, NORDGATE_JWT_ISSUERS): every request except "
                     "/healthz, /readyz and /metrics is refused with 401. Create a key: nordgate api-key create")
    return authenticator
