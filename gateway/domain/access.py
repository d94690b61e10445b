"""Who is calling: the authenticated client, its scopes and the tenants it is bound to.

The auth dependency (:mod:`gateway.auth.dependency`) sets one :class:`Principal` on
``request.state.principal`` for every authenticated request; other parts (audit trail, routes)
read it from there. Its tenants come from the gateway's settings, never from the token itself,
so a token cannot widen what a client sees.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

__all__ = ["ALL_SCOPES", "AuthMethod", "Principal", "Scope"]

AuthMethod = Literal["jwt", "api-key"]


class Scope(StrEnum):
    """The scopes a route may require (documented in README "Security: clients, tokens, tenants")."""

    BOOKINGS_PUSH = "bookings:push"              # POST bookings (crm, Elvis, Norwegian) and previews of them
    FHIR_READ = "fhir:read"                      # FHIR reads/searches, reports, group-appointment bills
    SETTLEMENTS_SUBMIT = "settlements:submit"    # POST/GET /settlements
    ACCOUNTS_ADMIN = "accounts:admin"            # enkeltoppgjør/standard accounting setups
    CLINIC_ADMIN = "accounts:clinic-admin"       # fellesoppgjør accounts (the clinic administrator)
    APPREC_POST = "apprec:post"                  # POST /apprec (HELFO receipts via the integration platform)
    AUDIT_READ = "audit:read"                    # read the audit trail
    PREVIEW = "preview:run"                      # preview/playground conversions (store nothing)


ALL_SCOPES: frozenset[str] = frozenset(scope.value for scope in Scope)


@dataclass(frozen=True, slots=True)
class Principal:
    client_id: str
    scopes: frozenset[str]
    #: HSA-ids of Swedish units, Norwegian organisation numbers and HER-ids the client may act for.
    tenants: frozenset[str]
    method: str  # "jwt" | "api-key" ("disabled": NORDGATE_AUTH_DISABLED, development only)

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes

    def may_act_for(self, tenant: str | None) -> bool:
        return tenant is not None and tenant in self.tenants
