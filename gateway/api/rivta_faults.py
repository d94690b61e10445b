"""SOAP 1.1 Fault answers for ``/rivta/…``: a RIVTA consumer reads a Fault, never an OperationOutcome.

Used by the routes and by the authentication wall (``gateway/api/auth_middleware.py``), which
refuses a caller before any route runs. HTTP 500 for every Fault, as SOAP 1.1 over HTTP (§6.2) and
WS-I Basic Profile 1.1 (R1126) require; the stable code is in ``detail/ng:code``.
"""

from __future__ import annotations

from fastapi.responses import Response

from gateway.api.rivta_answers import FAULTCODE, answer_for
from gateway.bookings.rivta_producer import fault

__all__ = ["RIVTA_PREFIX", "SOAP_XML", "fault_response", "is_rivta_path"]

RIVTA_PREFIX = "/rivta/"
SOAP_XML = "text/xml; charset=utf-8"  # SOAP 1.1's media type


def is_rivta_path(path: str) -> bool:
    return path.startswith(RIVTA_PREFIX)


def fault_response(code: str, status: int) -> Response:
    """The Fault of ``code``: its kind and short reason from the one table (gateway/api/rivta_answers.py)."""
    row = answer_for(code, status)
    return Response(fault(FAULTCODE[row.kind], code, f"{row.sv} / {row.en}"), status_code=500, media_type=SOAP_XML)
