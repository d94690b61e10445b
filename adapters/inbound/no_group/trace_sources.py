"""Where each record field came from in a Norwegian group-appointment event, as a JSON pointer
(``INBOUND_FORMAT.trace_sources``)."""

from __future__ import annotations

from typing import Any

from gateway.ports.inbound import STORED, field_head, patient_in_field

__all__ = ["group_event_source"]

def group_event_source(event: Any, field: str, record: Any) -> str | None:
    name, _, rest = field_head(field)
    details = event.details
    if field == "unit":
        return "/clinic/herId"
    if field == "session_id":
        return "/newGroupAppointmentId" if event.new_group_appointment_id else "/groupAppointmentId"
    if field == "status" and record.resource_type == "Appointment":
        return "/event"
    if field == "visit_type_code":
        return "/appointmentType/code" if details is not None and details.type_code is not None else STORED
    if name == "practitioners":
        if event.finish is not None:
            return "/actor/hpr"
        return "/practitioner/hpr" if details is not None and details.practitioner is not None else STORED
    if field == "actor":
        return "/actor/hpr"
    if field == "cancelled_by":
        return "/by"
    if name in {"participants", "patient"} or field in {"status", "contact_mode"}:
        return _patient_source(event, rest or field, patient_in_field(record, field))
    return None


def _patient_source(event: Any, leaf: str, patient: str | None) -> str | None:
    for number, person in enumerate(event.patients):
        if person.id.value == patient:
            return f"/patients/{number}/id"
    if event.patient is not None and event.patient.value == patient:
        return "/patient/id"
    if event.cancellation is not None and event.cancellation.patient is not None \
            and event.cancellation.patient.value == patient:
        return "/by" if leaf in {"status", "attendance", "cancelled_by"} else "/patient/id"
    if event.finish is not None:
        for number, entry in enumerate(event.finish.attendance):
            if entry.patient.value == patient:
                return f"/attendance/{number}/" + ("patient/id" if leaf == "patient" else "attended")
        if leaf in {"status", "attendance", "contact_mode"}:
            return "/attendance (not listed: attended by default)"
    return STORED
