"""Every error answer is a FHIR OperationOutcome with the right HTTP status and a stable code."""

from __future__ import annotations

import logging
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from gateway.fhir.canonical import code_system
from gateway.primitives.errors import Issue, NordgateError, TransientError

__all__ = ["FHIR_JSON", "install_error_handlers", "operation_outcome", "outcome_response"]

FHIR_JSON = "application/fhir+json"
_log = logging.getLogger("nordgate.api")

# FHIR IssueType per HTTP status: what a FHIR client expects to see for each class of error.
_ISSUE_TYPE = {400: "invalid", 401: "login", 403: "forbidden", 404: "not-found", 405: "not-supported",
               406: "not-supported", 409: "conflict", 413: "too-costly", 415: "not-supported",
               422: "business-rule", 503: "transient"}


def _issue(status: int, code: str, message: str, location: str | None, severity: str = "error") -> dict[str, Any]:
    issue: dict[str, Any] = {
        "severity": severity,
        "code": _ISSUE_TYPE.get(status, "exception"),
        "details": {"coding": [{"system": code_system("error-code"), "code": code}], "text": message},
    }
    if location:
        issue["location"] = [location]
    return issue


def operation_outcome(status: int, code: str, message: str, *, location: str | None = None,
                      issues: list[Issue] | None = None) -> dict[str, Any]:
    entries = [_issue(status, code, message, location)]
    entries += [_issue(status, item.code, item.message, item.location) for item in issues or []]
    return {"resourceType": "OperationOutcome", "issue": entries}


def outcome_response(status: int, code: str, message: str, *, location: str | None = None,
                     issues: list[Issue] | None = None, fhir_version: str = "4.0") -> Response:
    body = orjson.dumps(operation_outcome(status, code, message, location=location, issues=issues))
    return Response(body, status_code=status, media_type=f"{FHIR_JSON}; fhirVersion={fhir_version}")


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(NordgateError)
    async def _nordgate_error(request: Request, exc: NordgateError) -> Response:
        if exc.http_status >= 500:
            _log.error("request failed: %s %s: %s", request.method, request.url.path, exc.code)
        response = outcome_response(exc.http_status, exc.code, exc.message, location=exc.location, issues=exc.issues)
        if isinstance(exc, TransientError):  # somebody else is down: nothing was stored, send it again later
            response.headers["retry-after"] = str(exc.retry_after_s)
        if exc.http_status == 401:  # RFC 6750: a refused bearer credential says so
            response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
        return response

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
        where = ".".join(str(part) for part in first.get("loc", ()))
        return outcome_response(400, "REQUEST_INVALID", f"{where}: {first.get('msg')}", location=where or None)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        code = {404: "ROUTE_NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}.get(exc.status_code, "HTTP_ERROR")
        return outcome_response(exc.status_code, code, str(exc.detail))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        # The message of an unexpected error may hold data; log the type and keep the answer generic.
        _log.exception("unexpected error on %s %s", request.method, request.url.path)
        return outcome_response(500, "INTERNAL_ERROR", f"internal error ({type(exc).__name__}); see the gateway log")
