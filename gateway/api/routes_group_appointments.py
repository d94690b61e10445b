"""Norwegian group appointments over HTTP (the events themselves come in on ``POST /bookings``).

- ``GET /group-appointments/{id}/bills``: the draft settlement batch of a finished group
  appointment, in exactly the JSON format ``POST /settlements`` takes
  (:mod:`gateway.groups.no_bills`). ``{id}`` is the FHIR Appointment id, or the clinic system's
  ``groupAppointmentId`` when the clinic's HER-id is given as ``?herId=``. 404
  ``GROUP_APPOINTMENT_NOT_FOUND`` for no such (Norwegian group) appointment, 409
  ``GROUP_NOT_FINISHED`` before it is finished, 409 ``GROUP_NOT_HELFO`` / ``GROUP_NO_BILLS`` when
  there is nothing to settle, 422 ``GROUP_DIAGNOSIS_MISSING`` when the practice type requires a
  problemstilling a billed patient lacks.
- ``GET /group-appointments/{id}/bill-cards``: the bill cards (the clinic's own receivables) of one
  group appointment, with or without HELFO tariffs (:mod:`gateway.groups.bill_cards`).
- ``GET /bill-cards?patient=<FNR/DNR>``: one page (``_count``, ``_offset``) of a patient's bill cards
  still to be paid ("betales senere") at the caller's clinics, for a samleregning.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from gateway.api.guard import principal_of
from gateway.auth.tenancy import may_see, tenant_condition
from gateway.bootstrap.runtime import Runtime
from gateway.domain.group_records import GroupSessionRecord
from gateway.fhir.kinds import decode_stored
from gateway.groups.bill_cards import group_bill_cards, patient_bill_cards
from gateway.groups.no_bills import draft_batch
from gateway.groups.no_service import group_appointment_id
from gateway.primitives.errors import NotFound
from gateway.primitives.identifiers import classify_norwegian_person

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
               409: {"description": "not finished, no HELFO tariffs, or nobody billed"},
               422: {"description": "a billed patient lacks the problemstilling the practice type requires"}},
)
def group_appointment_bills(appointment_id: str, request: Request, herId: str | None = None) -> JSONResponse:  # noqa: N803
    runtime: Runtime = request.app.state.runtime
    return JSONResponse(draft_batch(_session(request, runtime, appointment_id, herId)))


@router.get(
    "/group-appointments/{appointment_id}/bill-cards",
    summary="The bill cards (regningskort, 'Betales senere') of a group appointment: what each patient owes",
    responses={200: {"description": "the appointment and its bill cards (none before it is finished)"},
               404: {"description": "no such group appointment"}},
)
def group_appointment_bill_cards(appointment_id: str, request: Request,
                                 herId: str | None = None) -> JSONResponse:  # noqa: N803
    runtime: Runtime = request.app.state.runtime
    return JSONResponse(group_bill_cards(_session(request, runtime, appointment_id, herId)))


@router.get(
    "/bill-cards",
    summary="A patient's bill cards still to be paid ('Betales senere'), to gather into a samleregning",
    responses={200: {"description": "one page of the patient's unpaid bill cards at the caller's clinics"},
               422: {"description": "the patient's FNR/DNR check digits are wrong"}},
)
def patient_bill_cards_route(
    request: Request,
    patient: Annotated[str, Query(pattern=r"^[0-9]{11}$", description="the patient's FNR or DNR")],
    count: Annotated[int, Query(alias="_count", ge=1, le=500, description="page size")] = 50,
    offset: Annotated[int, Query(alias="_offset", ge=0, le=10**9, description="paging offset")] = 0,
) -> JSONResponse:
    runtime: Runtime = request.app.state.runtime
    person = classify_norwegian_person(patient, location="patient")
    scope = tenant_condition("Appointment", principal_of(request))
    return JSONResponse(patient_bill_cards(runtime.store, person, scope=scope, count=count, offset=offset))
