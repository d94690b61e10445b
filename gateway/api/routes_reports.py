"""GET /reports/self-service (JSON) and its chart (SVG): the 1177 self-service report of one unit.

Plain ``def`` routes: FastAPI runs them in its thread pool, so a report's store scan never blocks
the event loop that takes booking pushes.
"""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from gateway.api.guard import principal_of
from gateway.api.openapi_docs import ok_as
from gateway.api.query_parameters import only_parameters
from gateway.auth.tenancy import require_tenant
from gateway.bootstrap.runtime import Runtime
from gateway.reports.self_service import parse_request, self_service_report
from gateway.reports.svg_chart import self_service_chart

__all__ = ["router"]

router = APIRouter(prefix="/reports", dependencies=[only_parameters("unit", "from", "to", "period")])

Unit = Annotated[str, Query(description="HSA-id of the care unit")]
From = Annotated[str, Query(alias="from", description="first day, YYYY-MM-DD")]
To = Annotated[str, Query(description="last day, YYYY-MM-DD (also the free-slot horizon's reference day)")]
Period = Annotated[str, Query(description="month or week")]


def _report(request: Request, unit: str, first: str, last: str, period: str) -> dict[str, object]:
    runtime: Runtime = request.app.state.runtime
    require_tenant(principal_of(request), unit, "unit")  # 403 TENANT_FORBIDDEN: a unit of another tenant
    return self_service_report(runtime.store, parse_request(unit, first, last, period), runtime.zone)


@router.get("/self-service", summary="1177 self-service shares and free-slot horizon of one unit")
def self_service(request: Request, unit: Unit, first: From, to: To, period: Period = "month") -> Response:
    return Response(orjson.dumps(_report(request, unit, first, to, period)), media_type="application/json")


@router.get("/self-service/chart.svg", summary="The same report as an SVG chart", response_class=Response,
            responses=ok_as("image/svg+xml", "the report as an SVG chart"))
def self_service_svg(request: Request, unit: Unit, first: From, to: To, period: Period = "month") -> Response:
    chart = self_service_chart(_report(request, unit, first, to, period))
    return Response(chart.encode(), media_type="image/svg+xml")
