"""The rules a trace names: which rule of the gateway decided a status or a fixed code.

Statuses are never in a message: a rule turns "what happened" into one (docs/integration-engineers.md
states the rules). Each text names the situation, the outcome and the module that holds the rule, so an
integration engineer can find it.
"""

from __future__ import annotations

from typing import Any

__all__ = ["event_module", "event_name", "rule_for"]

_ELVIS_ROOTS = {"GroupSessionBooked": "GroupSessionBooking", "AttendanceReported": "AttendanceReport",
                "VisitRegistered": "VisitRegistration", "ParticipantCancelled": "Cancellation",
                "TelephoneContactReported": "TelephoneContact"}
_MODULES = {"BookingEvent": "gateway/bookings/service.py", "AvailableTimeslots": "gateway/schedule/service.py",
            "TelephoneContactReported": "gateway/groups/elvis_telephone.py",
            "GroupAppointmentEvent": "gateway/groups/no_service.py"}
_ELVIS_MODULE = "gateway/groups/elvis_service.py"

# (message or event, status) → the situation that gives it.
_STATUS = {
    ("MakeBooking", "booked"): "MakeBooking with a time → booked",
    ("MakeBooking", "proposed"): "MakeBooking with isInvitation=true and no time (open invitation) → proposed",
    ("UpdateBooking", "booked"): "UpdateBooking (reschedule) → booked at the new time",
    ("CancelBooking", "cancelled"): "CancelBooking → cancelled",
    ("Snapshot", "booked"): "a read-back timeslot with a time → booked (it never revives a cancelled booking)",
    ("Snapshot", "proposed"): "a read-back open invitation → proposed",
    ("GetAvailableTimeslotsResponse", "free"): "a time the answer lists → free",
    ("GetAvailableTimeslotsResponse", "busy-unavailable"):
        "a time no longer listed on the answer's days → busy-unavailable",
    ("GroupSessionBooking", "booked"): "GroupSessionBooking → booked",
    ("AttendanceReport", "fulfilled"): "AttendanceReport where anyone came → fulfilled",
    ("AttendanceReport", "noshow"): "AttendanceReport where nobody came → noshow",
    ("TelephoneContact", "fulfilled"): "TelephoneContact answered → fulfilled",
    ("TelephoneContact", "noshow"): "TelephoneContact not answered → noshow (no Encounter)",
    ("created", "booked"): "event created → booked",
    ("copied", "booked"): "event copied → a new booked appointment",
    ("deleted", "entered-in-error"): "event deleted within five minutes of created → entered-in-error",
    ("checked-in", "arrived"): "first check-in → arrived",
    ("finished", "fulfilled"): "event finished with a patient who came → fulfilled",
    ("finished", "noshow"): "event finished and nobody came → noshow",
    ("cancelled", "cancelled"): "event cancelled for the whole appointment → cancelled",
}

# (resource type, field) → the rule, for fields whose value no message carries.
_FIELDS = {
    ("Appointment", "patient_status"): "patient participant: needs-action for an open invitation, accepted for "
    "a booked time (gateway/bookings/service.py)",
    ("Appointment", "participant_status"): "the unit, performers and resources take part: accepted "
    "(gateway/fhir/appointment.py, gateway/fhir/group.py)",
    ("Appointment", "origin"): "booking origin: pas for the unit's system, 1177 when the citizen booked, "
    "open-invitation for the citizen's answer (gateway/bookings/service.py)",
    ("Appointment", "cancellation_source"): "cancellation reason: the sender of the CancelBooking decides, "
    "the citizen (1177) → pat, the unit's system → prov (ConceptMap cancellation-origin)",
    ("Appointment", "cancelled_by"): "cancellation reason: who cancelled, pat or prov (Elvis cancelledBy through "
    "ConceptMap elvis-cancelled-by; the Norwegian event's by)",
    ("Appointment", "status"): "participant status: accepted when booked, declined when cancelled "
    "(gateway/groups/elvis_service.py, gateway/groups/no_service.py)",
    ("Appointment", "attendance"): "attendance: attended or noshow from the attendance report (or the finish "
    "ticks), cancelled from a cancellation (gateway/groups/elvis_service.py, gateway/groups/no_finish.py)",
    ("Appointment", "fee_rule"): "a patient who did not come: fee rule U2 'Uteblivet besök, ska betala' "
    "(gateway/groups/elvis_service.py)",
    ("AppointmentResponse", "participant_status"): "the answer to an open invitation: accepted "
    "(gateway/bookings/service.py)",
    ("Encounter", "status"): "an Encounter exists only for care that happened: finished "
    "(gateway/groups/elvis_service.py, gateway/groups/elvis_telephone.py, gateway/groups/no_finish.py)",
    ("Encounter", "contact_mode"): "encounter class: AMB for a visit, VR for a telephone contact (v3-ActCode)",
}
# Fixed by the telephone-contact rules (the telephone-contact routine; gateway/groups/elvis_telephone.py).
_TELEPHONE = {
    ("Encounter", "fee_code"): "a telephone contact (Tele) is always patient fee P0 (the telephone-contact routine)",
    ("Encounter", "payment_method"): "a telephone contact (Tele) is always payment method Gena (the"
    " telephone-contact routine)",
    ("Encounter", "visit_type_code"): "a telephone contact is visit type Tele (the telephone-contact routine)",
    ("Appointment", "time_type_code"): "a telephone contact booked by this message gets time type TELE "
    "(gateway/groups/elvis_telephone.py); an earlier booking keeps its own",
}


def event_name(event: Any) -> str:
    kind = type(event).__name__
    if kind == "AvailableTimeslots":
        return "GetAvailableTimeslotsResponse"
    if kind in _ELVIS_ROOTS:
        return _ELVIS_ROOTS[kind]
    action = getattr(event, "action", None)
    return str(getattr(action, "value", action)) if action is not None else kind


def event_module(event: Any) -> str:
    kind = type(event).__name__
    if kind == "GroupAppointmentEvent" and event_name(event) == "finished":
        return "gateway/groups/no_finish.py"
    return _MODULES.get(kind, _ELVIS_MODULE)


def _status_rule(event: Any, record: Any) -> str:
    name = event_name(event)
    status = record.status
    if record.resource_type == "Encounter":
        return f"status: {_FIELDS['Encounter', 'status']}"
    if name == "MakeBooking" and status == "booked" and getattr(record, "was_invitation", False):
        text = "MakeBooking with a time for an open invitation (the answer) → booked"
    else:
        text = _STATUS.get((name, status), f"{name} leaves it {status}")
    return f"status: {text} ({event_module(event)})"


def rule_for(event: Any, record: Any, field: str) -> str | None:
    """The rule behind ``field`` of ``record`` as ``event`` left it, or None when no rule decides it."""
    if field == "status":
        return _status_rule(event, record)
    leaf = field.rsplit(".", 1)[-1]
    if event_name(event) == "TelephoneContact" and (record.resource_type, leaf) in _TELEPHONE:
        return _TELEPHONE[record.resource_type, leaf]
    if record.resource_type == "Encounter" and leaf in {"fee_code", "payment_method", "visit_type_code"}:
        return None  # registered codes: the message says them
    return _FIELDS.get((record.resource_type, leaf))
