"""Query parameters an endpoint does not take are refused, not ignored.

FHIR search already refuses unknown parameters (``SEARCH_PARAMETER_INVALID``); the report and account
routes ignored them, so ``/reports/self-service?…&form=2026-01-01`` (a typo) answered as if the
parameter had not been sent. :func:`only_parameters` is a router dependency: 400
``QUERY_PARAMETER_UNKNOWN`` naming the first unknown one, before the route runs.
"""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Request

from gateway.primitives.errors import MalformedInput

__all__ = ["only_parameters"]


def only_parameters(*names: str) -> Any:
    """A dependency refusing any query parameter not in ``names`` (none: the endpoint takes none)."""
    known = frozenset(names)

    def _check(request: Request) -> None:
        unknown = sorted(set(request.query_params) - known)
        if unknown:
            taken = f"it takes {', '.join(sorted(known))}" if known else "it takes none"
            raise MalformedInput("QUERY_PARAMETER_UNKNOWN",
                                 f"query parameter {unknown[0][:60]!r} is not known here; {taken}",
                                 location=unknown[0][:60])

    return Depends(_check)
