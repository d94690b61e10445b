"""The shapes of the security settings: API-key clients, JWT issuers and the JWT client table.

They are fields of :class:`gateway.config.settings.Settings` (``NORDGATE_API_KEYS``,
``NORDGATE_JWT_ISSUERS``, ``NORDGATE_JWT_CLIENTS``, each a JSON value in the environment). A
client's tenants are always taken from here, never from a token: a token says who the caller is
and what it may do (scopes); what it may see is the gateway operator's decision.
"""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from gateway.domain.access import ALL_SCOPES

__all__ = ["WILDCARD_TENANT", "ApiKeyClient", "JwtIssuer", "validate_jwt_clients"]

#: In a client's tenants: every unit and organisation (an operator or integration platform).
WILDCARD_TENANT = "*"
_SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")


def _known_scopes(scopes: list[str]) -> list[str]:
    unknown = sorted(set(scopes) - ALL_SCOPES)
    if unknown:
        raise ValueError(f"unknown scope(s) {', '.join(unknown)}; known: {', '.join(sorted(ALL_SCOPES))}")
    return scopes


def _tenants(tenants: list[str]) -> list[str]:
    for tenant in tenants:
        if not tenant or tenant != tenant.strip() or len(tenant) > 64:
            raise ValueError(f"tenant {tenant!r} must be an HSA-id, organisation number or HER-id (or '*')")
    return tenants


class ApiKeyClient(BaseModel):
    """One static API key: only its SHA-256 is configured (``nordgate api-key create`` prints both)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    client_id: str = Field(min_length=1, max_length=200)
    key_sha256: str = Field(description="lower-case hex SHA-256 of the key")
    scopes: list[str] = Field(default_factory=list)
    tenants: list[str] = Field(default_factory=list)

    @field_validator("key_sha256")
    @classmethod
    def _hex_digest(cls, value: str) -> str:
        if not _SHA256_HEX.match(value):
            raise ValueError("key_sha256 must be 64 lower-case hex digits (the SHA-256 of the key, not the key)")
        return value

    _scopes = field_validator("scopes")(_known_scopes)
    _tenant_list = field_validator("tenants")(_tenants)


class JwtIssuer(BaseModel):
    """One trusted token issuer (HelseID, Maskinporten, an own authorization server)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    issuer: str = Field(min_length=1, description="the exact `iss` of its tokens")
    audience: str = Field(min_length=1, description="the `aud` its tokens must carry for this gateway")
    public_keys: Path | None = Field(default=None, description="PEM file of one or more public keys")
    jwks_file: Path | None = Field(default=None, description="JWKS (JSON) file; tokens pick a key by `kid`")
    client_claim: str = Field(default="client_id", description="claim naming the client (then azp, then sub)")
    leeway_s: int = Field(default=30, ge=0, le=300, description="clock skew allowed on exp/nbf/iat")
    max_lifetime_s: int = Field(default=24 * 3600, ge=60, description="longest exp - iat accepted")

    @model_validator(mode="after")
    def _one_key_source(self) -> JwtIssuer:
        if (self.public_keys is None) == (self.jwks_file is None):
            raise ValueError(f"issuer {self.issuer}: give exactly one of public_keys (PEM) and jwks_file")
        return self


def validate_jwt_clients(table: dict[str, list[str]]) -> dict[str, list[str]]:
    for tenants in table.values():
        _tenants(tenants)
    return table
