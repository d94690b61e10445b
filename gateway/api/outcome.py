"""Every error answer is a FHIR OperationOutcome with the right HTTP status and a stable code."""

from __future__ import annotations

import logging

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from gateway.fhir.outcome import operation_outcome
from gateway.primitives.errors import Issue, NordgateError, TransientError

__all__ = ["FHIR_JSON", "install_error_handlers", "outcome_response"]

FHIR_JSON = "application/fhir+json"
_log = logging.getLogger("nordgate.api")

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
        response = outcome_response(500, "INTERNAL_ERROR",
                                    f"internal error ({type(exc).__name__}); see the gateway log")
        # Starlette re-raises after this answer and the server then drops the connection: say so, so
        # that a keep-alive client does not send its next request into a closed socket.
        response.headers["connection"] = "close"
        return response
