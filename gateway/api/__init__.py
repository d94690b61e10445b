"""The HTTP API (FastAPI). :func:`create_app` builds everything; nothing happens at import time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from gateway.api.audit_middleware import AuditMiddleware
from gateway.api.auth_middleware import AuthMiddleware
from gateway.api.body_guard import BodyGuard
from gateway.api.docs_page import install_docs_page
from gateway.api.guard import require_scope
from gateway.api.observability_middleware import ObservabilityMiddleware
from gateway.api.openapi_docs import ERROR_RESPONSES
from gateway.api.outcome import install_error_handlers
from gateway.api.routes_accounts import router as accounts_router
from gateway.api.routes_audit import router as audit_router
from gateway.api.routes_bookings import router as bookings_router
from gateway.api.routes_conceptmap import router as conceptmap_router
from gateway.api.routes_fhir import router as fhir_router
from gateway.api.routes_group_appointments import router as group_appointments_router
from gateway.api.routes_ops import router as ops_router
from gateway.api.routes_playground import router as playground_router
from gateway.api.routes_preview import router as preview_router
from gateway.api.routes_reports import router as reports_router
from gateway.api.routes_rivta import router as rivta_router
from gateway.api.routes_settlements import router as settlements_router
from gateway.audit.refusals import RefusalSampler
from gateway.auth.authenticate import build_authenticator
from gateway.bootstrap.runtime import Runtime, build_runtime
from gateway.config.settings import Settings
from gateway.domain.access import Scope
from gateway.primitives.version import software_version

__all__ = ["create_app"]


def create_app(settings: Settings, *, runtime: Runtime | None = None) -> FastAPI:
    """The app; its runtime (store, mappings) is built before serving, so a broken setting or map
    stops start-up. Pass ``runtime`` to share one with the caller (tests)."""
    # First: an unsafe NORDGATE_AUTH_DISABLED or unreadable JWT keys stop start-up before any database.
    authenticator = build_authenticator(settings)
    built = runtime or build_runtime(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # The outbox worker runs while the app serves; a caller's runtime keeps its own lifetime.
        worker = built.outbox if settings.outbox_worker else None
        if worker is not None:
            worker.start()
        try:
            yield
        finally:
            if worker is not None:
                worker.stop()
            if runtime is None:
                built.close()

    # docs_url/redoc_url None: FastAPI's pages load their scripts from a CDN; /docs is served from the
    # package instead (gateway/api/docs_page.py).
    app = FastAPI(title="nordgate", version=software_version(), lifespan=lifespan, responses=ERROR_RESPONSES,
                  docs_url=None, redoc_url=None,
                  description="Nordic health-care integration gateway: bookings in, FHIR out; HELFO settlements out.")
    app.state.runtime = built
    install_error_handlers(app)
    install_docs_page(app)
    # Every route but health/metrics needs a token (AuthMiddleware) and a scope (gateway/api/guard.py);
    # tenants are checked inside the routes. Settlement and account routes declare their own scopes.
    app.include_router(bookings_router, dependencies=[require_scope(Scope.BOOKINGS_PUSH)])
    # crm:scheduling 1.1 producer (SOAP): scopes checked in the routes, so that a refusal is a SOAP Fault;
    # early in the table because routing tries the routes in order on every request.
    app.include_router(rivta_router)
    # Before the generic /fhir/{resource_type} routes, which would otherwise take /fhir/ConceptMap/….
    app.include_router(conceptmap_router, dependencies=[require_scope(Scope.FHIR_READ)])
    app.include_router(fhir_router, dependencies=[require_scope(Scope.FHIR_READ)])
    app.include_router(settlements_router)
    app.include_router(accounts_router)
    app.include_router(group_appointments_router, dependencies=[require_scope(Scope.SETTLEMENTS_SUBMIT)])
    app.include_router(reports_router, dependencies=[require_scope(Scope.FHIR_READ)])
    app.include_router(preview_router, dependencies=[require_scope(Scope.PREVIEW)])
    app.include_router(playground_router, dependencies=[require_scope(Scope.PREVIEW)])
    app.include_router(audit_router)  # scope audit:read, declared by the router
    # Innermost: the body is read in bounded time, a hang-up is 499 (gateway/api/body_guard.py).
    app.add_middleware(BodyGuard, read_timeout_s=settings.body_read_timeout_s)
    # Inside AuthMiddleware (added next, so outer): the principal is on request.state when it runs.
    app.add_middleware(AuditMiddleware)
    # Inside the observability middleware (added later, so outer): refusals are logged and counted too.
    app.add_middleware(AuthMiddleware, authenticator=authenticator, public_docs=settings.docs_public,
                       refusals=RefusalSampler(settings.audit_auth_refusals_per_minute))
    app.include_router(ops_router)  # /healthz, /readyz, /metrics
    # Request id, latency by route, one log line per request (gateway/api/observability_middleware.py).
    app.add_middleware(ObservabilityMiddleware, metrics=built.metrics)

    return app
