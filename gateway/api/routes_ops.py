"""Operations endpoints: ``/healthz`` (liveness), ``/readyz`` (readiness), ``/metrics`` (Prometheus).

Left open by authentication (probes and scrapers carry no gateway credentials); none of them says
anything about patients or messages: a status, the names of the checks, and counters.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from gateway.api.openapi_docs import ok_as
from gateway.api.outcome import outcome_response
from gateway.bootstrap.runtime import Runtime
from gateway.observability.metrics import CONTENT_TYPE
from gateway.primitives.errors import Issue

__all__ = ["router"]

router = APIRouter()


@router.get("/healthz", summary="The process is up (no I/O)")
async def healthz() -> JSONResponse:
    return JSONResponse({"status": "ok"})


@router.get("/readyz", summary="The database (and address register, when configured) answer now",
            responses={503: {"description": "not ready: an OperationOutcome naming each failing check"}})
def readyz(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    if runtime.ops is None:  # pragma: no cover - every runtime built by build_runtime has them
        return JSONResponse({"status": "ready", "checks": {}})
    checks = runtime.ops.readiness.checks()
    failing = [check for check in checks if not check.ok]
    if not failing:
        return JSONResponse({"status": "ready", "checks": {check.name: check.status for check in checks}})
    names = ", ".join(check.name for check in failing)
    response = outcome_response(503, "NOT_READY", f"not ready: {names}",
                                issues=[Issue(check.code or "NOT_READY", f"{check.name}: {check.status}", check.name)
                                        for check in failing])
    response.headers["cache-control"] = "no-store"
    return response


@router.get("/metrics", summary="Prometheus metrics of this process", response_class=Response,
            responses=ok_as(CONTENT_TYPE, "Prometheus text exposition format"))
def metrics(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    return Response(runtime.metrics.exposition(), media_type=CONTENT_TYPE)
