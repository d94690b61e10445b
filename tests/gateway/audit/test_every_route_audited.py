"""Every route a client reaches with credentials leaves an audit row: the middleware knows its action.

A route added without a ROUTE_ACTIONS entry would serve data and leave no trace (instance
``_history`` once did). Exempt are the routes that serve no personal data: probes and metrics, the
API description, the CapabilityStatement, the RIVTA service contract (``?wsdl``) and the Fault for
an unknown RIVTA path, the playground's page, its files and its packaged samples.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from gateway.api import create_app
from gateway.api.audit_middleware import _action_of
from gateway.config.settings import load_settings
from tests.database import database_url_for

RIVTA_CONTRACTS = {f"/rivta/{name}/1/rivtabp21" for name in (
    "MakeBooking", "UpdateBooking", "CancelBooking", "GetBookingDetails", "GetSubjectOfCareSchedule",
    "GetAvailableTimeslots")}
#: (method, path) pairs that carry no personal data.
UNAUDITED = {
    *(("GET", path) for path in (
        "/healthz", "/readyz", "/metrics", "/openapi.json", "/docs", "/docs/static/{name}", "/fhir/metadata",
        "/playground", "/playground/static/{name}", "/playground/samples", "/playground/samples/{path:path}",
        *RIVTA_CONTRACTS)),
    ("GET", "/rivta/{rest:path}"), ("POST", "/rivta/{rest:path}"),
}


def _routes(routes: Sequence[Any]) -> Iterator[Any]:
    """Every route, those of included routers too (FastAPI keeps an included router whole)."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _routes(included.routes)
        else:
            yield route


def test_every_route_has_an_audit_action(tmp_path: Path) -> None:
    app = create_app(load_settings(database_url=database_url_for(tmp_path), public_base_url="http://testserver/fhir"))
    missing = []
    routes = list(_routes(app.routes))
    assert any(getattr(route, "path", None) == "/fhir/{resource_type}" for route in routes)  # the walk sees them
    for route in routes:
        path = getattr(route, "path", None)
        for method in sorted(getattr(route, "methods", None) or ()):
            if method == "HEAD" or (method, path) in UNAUDITED:
                continue
            if _action_of({"route": route, "method": method}) is None:
                missing.append(f"{method} {path}")
    assert missing == []


def test_the_check_sees_a_route_without_an_action(tmp_path: Path) -> None:
    app = create_app(load_settings(database_url=database_url_for(tmp_path), public_base_url="http://testserver/fhir"))

    @app.get("/unaudited-example")
    def example() -> dict[str, str]:  # pragma: no cover - never called
        return {}

    route = next(r for r in _routes(app.routes) if getattr(r, "path", None) == "/unaudited-example")
    assert _action_of({"route": route, "method": "GET"}) is None
