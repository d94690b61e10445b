"""Norwegian group appointments over HTTP (the events themselves come in on ``POST /bookings``).

- ``GET /group-appointments/{id}/bills``: the draft settlement batch of a finished group
  appointment, in exactly the JSON format ``POST /settlements`` takes
  (:mod:`gateway.groups.no_bills`). ``{id}`` is the FHIR Appointment id, or the clinic system's
  ``groupAppointmentId`` when the clinic's HER-id is given as ``?herId=``. 404
  ``GROUP_APPOINTMENT_NOT_FOUND`` for no such (Norwegian group) appointment, 409
  ``GROUP_NOT_FINISHED`` before it is finished, 409 ``GROUP_NOT_HELFO`` / ``GROUP_NO_BILLS`` when
  there is nothing to settle.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from gateway.api.runtime import Runtime
from gateway.auth.guard import principal_of
from gateway.auth.tenancy import may_see
from gateway.errors import NotFound
from gateway.groups.no_bills import draft_batch
from gateway.groups.no_service import group_appointment_id
from gateway.groups.records import GroupSessionRecord
from gateway.kinds import decode_stored

__all__ = ["router"]

router = APIRouter()


def _session(request: Request, runtime: Runtime, appointment_id: str, her_id: str | None) -> GroupSessionRecord:
    resource_id = group_appointment_id(her_id, appointment_id) if her_id else appointment_id
    stored = runtime.store.read("Appointment", resource_id)
    record = decode_stored(stored) if stored is not None else None
    # Another clinic's appointment (tenant: the clinic's HER-id) is not found, as an unknown one.
    if (not isinstance(record, GroupSessionRecord) or record.system != "no"
            or not may_see(principal_of(request), record.unit.value)):
        where = f" at clinic {her_id}" if her_id else ""
        raise NotFound("GROUP_APPOINTMENT_NOT_FOUND", f"no Norwegian group appointment {appointment_id}{where}")
    return record


@router.get(
    "/group-appointments/{appointment_id}/bills",
    summary="The draft settlement batch (bill cards, 'Betales senere') of a finished group appointment",
    responses={200: {"description": "a settlement batch as POST /settlements takes it"},
               404: {"description": "no such group appointment"},
               409: {"description": "not finished, no HELFO tariffs, or nobody billed"}},
)
def group_appointment_bills(appointment_id: str, request: Request, herId: str | None = None) -> JSONResponse:  # noqa: N803
    runtime: Runtime = request.app.state.runtime
    return JSONResponse(draft_batch(_session(request, runtime, appointment_id, herId)))
