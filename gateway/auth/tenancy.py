"""Tenants: which unit or organisation a piece of data belongs to, and whether a caller may see it.

A tenant is the HSA-id of a Swedish care unit, the HER-id of a Norwegian clinic (group
appointments are keyed by it) or a Norwegian organisation number (settlements, accounts). A client
bound to ``*`` acts for every tenant. The tenant of stored FHIR data is its unit, kept as the
``facility`` search token of every kind (``facility.value`` for Schedules and Slots, whose
``facility`` token carries the HSA system too), so that a search is filtered inside the store's
query and its total and paging stay right.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from gateway.config.security import WILDCARD_TENANT
from gateway.domain.access import Principal
from gateway.ports.store import Condition
from gateway.primitives.errors import Forbidden

__all__ = [
    "TENANT_TOKENS",
    "may_see",
    "record_tenant",
    "require_push_tenants",
    "require_tenant",
    "sees_all",
    "tenant_condition",
]

#: The search token holding each served resource type's tenant (its unit's bare id).
TENANT_TOKENS = {"Appointment": "facility", "AppointmentResponse": "facility", "Encounter": "facility",
                 "Schedule": "facility.value", "Slot": "facility.value"}


def sees_all(principal: Principal) -> bool:
    return WILDCARD_TENANT in principal.tenants


def may_see(principal: Principal, tenant: str | None) -> bool:
    return sees_all(principal) or (tenant is not None and tenant in principal.tenants)


def tenant_condition(resource_type: str, principal: Principal) -> Condition | None:
    """The condition limiting a search to the caller's tenants; None for an all-tenants caller.
    A caller without tenants gets a condition nothing matches (an empty value list matches none)."""
    if sees_all(principal):
        return None
    return Condition(TENANT_TOKENS[resource_type], "eq", tuple(sorted(principal.tenants)) or ("",))


def record_tenant(record: Any) -> str | None:
    """The unit a stored record belongs to: ``facility`` (bookings, schedules, slots, answers) or
    ``unit`` (group sessions, encounters)."""
    facility = getattr(record, "facility", None)
    if isinstance(facility, str):
        return facility
    unit = getattr(record, "unit", None)
    value = getattr(unit, "value", None)
    return value if isinstance(value, str) else None


def require_push_tenants(principal: Principal, events: Iterable[Any], units_of: Callable[[Any], list[str]]) -> None:
    """Refuse (403 ``TENANT_FORBIDDEN``) a message for a unit the client is not bound to; ``units_of``
    tells the units of an event (``units`` of the inbound format the message was read as)."""
    if sees_all(principal):
        return
    for event in events:
        for unit in units_of(event):
            if unit not in principal.tenants:
                raise Forbidden("TENANT_FORBIDDEN", f"this client may not send data for unit {unit}",
                                location=getattr(event, "location", None))


def require_tenant(principal: Principal, tenant: str, what: str) -> None:
    if not may_see(principal, tenant):
        raise Forbidden("TENANT_FORBIDDEN", f"this client may not act for {what} {tenant}")
