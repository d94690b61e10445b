"""Where in the message each record field came from: one small table per inbound format, relative to
the event's ``location`` (e.g. crm:scheduling ``time_type_code`` → ``timeTypeID`` under
``/MakeBooking/requestedTimeslot``), plus the rule behind values no message carries.

A field the event does not carry was kept from stored state (an earlier message, e.g. a ``given``
one); the trace says so rather than point at an element that is not there.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gateway.trace.collector import TraceEntry
from gateway.trace.rules import rule_for

__all__ = ["HEADER", "STORED", "annotate", "source_of"]

HEADER = "header X-Nordgate-Source (or ?source=)"
STORED = "stored state (an earlier message)"

# crm:scheduling TimeslotType: record field → (element, attribute of the event's Booking).
_CRM = {"facility": ("healthcare_facility", "facility"), "booking_id": ("bookingId", "booking_id"),
        "patient": ("subject_of_care", "patient"), "actor": ("subject_of_care", "patient"),
        "performer": ("performer", "performer"), "resource_id": ("resourceID", "resource_id"),
        "time_type_code": ("timeTypeID", "time_type"), "care_type_code": ("careTypeID", "care_type")}
_CRM_RULED = {"status", "patient_status", "participant_status"}
_SLOT = {"facility": "healthcare_facility", "performer": "performer", "resource_id": "resourceID",
         "care_type": "careTypeID", "care_types": "careTypeID", "time_type": "timeTypeID", "time_types": "timeTypeID"}
# Elvis group visit: elements of the event's own element, and per patient (under the patient's element).
_ELVIS = {"unit": "healthcare_facility", "facility": "healthcare_facility", "session_id": "sessionId",
          "visit_type_code": "visitTypeCode", "fee_code": "patientFeeCode", "payment_method": "paymentMethod",
          "action_code": "actionCode", "source_id": "visitId", "booking_id": "bookingId",
          "cancelled_by": "cancelledBy", "deviation": "deviation"}
_ELVIS_PATIENT = {"patient": "subject_of_care", "booking_id": "bookingId", "secondary_booking": "secondaryBooking",
                  "status": "attended", "attendance": "attended", "fee_rule": "attended"}
_ELVIS_PATIENT_OWN = frozenset({"patient", "booking_id", "secondary_booking"})


def _head(field: str) -> tuple[str, int | None, str]:
    """``participants[1].patient`` → ("participants", 1, "patient"); ``facility`` → ("facility", None, "")."""
    head, _, rest = field.partition(".")
    if head.endswith("]") and "[" in head:
        name, index = head[:-1].split("[", 1)
        return name, int(index), rest
    return head, None, rest


def _patient_value(record: Any, field: str) -> str | None:
    name, index, _ = _head(field)
    if name == "participants" and index is not None and index < len(record.participants):
        return str(record.participants[index].patient.value)
    person = getattr(record, "patient", None)
    return str(person.value) if person is not None else None  # a PersonRef


def _crm(event: Any, field: str, record: Any) -> str | None:
    location: str = event.location
    if field in {"origin", "cancellation_source"}:
        return HEADER
    if field in _CRM_RULED:
        return location
    element, attribute = _CRM.get(field, (None, None))
    if element is None or attribute is None:
        return None
    if event.booking is None:  # CancelBooking names the booking, the rest is stored
        return f"{location}/{element}" if field in {"facility", "booking_id"} else STORED
    return f"{location}/{element}" if getattr(event.booking, attribute) is not None else STORED


def _slots(event: Any, field: str, record: Any) -> str | None:
    name, _, _ = _head(field)
    detail = f"{event.location}/timeslotDetail"
    if record.resource_type == "Slot":
        for number, slot in enumerate(event.slots, start=1):
            if slot.start.isoformat() == record.start and slot.facility.value == record.facility:
                detail = f"{detail}[{number}]"
                break
        else:
            return STORED  # a time this answer no longer lists: what it has is what an earlier one said
    if field == "status":
        return detail
    element = _SLOT.get(name)
    return f"{detail}/{element}" if element else None


def _elvis(event: Any, field: str, record: Any) -> str | None:
    location = event.location
    root = location.rsplit("/", 1)[0] if location.count("/") > 1 else location
    name, index, rest = _head(field)
    kind = type(event).__name__
    if field == "group_id":
        return f"{root}/group/groupId"
    if name == "practitioners" and index is not None:
        if kind == "GroupSessionBooked":
            return f"{location}/groupLeader[{index + 1}]/performer"
        return f"{location}/performer" if kind == "TelephoneContactReported" else STORED
    if name in {"participants", "patient"} or (record.resource_type == "Encounter" and field == "status"):
        return _elvis_patient(event, rest or field, _patient_value(record, field))
    if field == "status":
        return f"{location}/outcome" if kind == "TelephoneContactReported" else location
    if field == "performer":
        return f"{location}/performer"
    if field == "source_id" and kind == "TelephoneContactReported":
        return f"{location}/contactId"
    element = _ELVIS.get(field)
    if element is None:
        return None
    if field in {"unit", "facility", "session_id"} and kind == "VisitRegistered":
        location = root
    return f"{location}/{element}"


def _elvis_patient(event: Any, leaf: str, patient: str | None) -> str | None:
    """The element of one patient inside an Elvis message: its own element when the message lists
    patients, else the message's ``subject_of_care``."""
    entries = getattr(event, "patients", None) or getattr(event, "attendance", None)
    element = _ELVIS_PATIENT.get(leaf, "subject_of_care")
    if entries is None:
        own = getattr(event, "patient", None)
        if own is None or own.value != patient:
            return STORED
        if leaf in {"status", "attendance"} and type(event).__name__ == "ParticipantCancelled":
            element = "cancelledBy"
        elif leaf == "fee_rule" or (leaf in {"status", "attendance"} and type(event).__name__ == "VisitRegistered"):
            element = "visitTypeCode"
        elif leaf == "status":
            element = "outcome"
        return f"{event.location}/{element}"
    booking = type(event).__name__ == "GroupSessionBooked"
    for entry in entries:
        if entry.patient.value == patient:
            # A booking lists patients without attendance: their status is the patient's element itself.
            return entry.location if booking and leaf not in _ELVIS_PATIENT_OWN else f"{entry.location}/{element}"
    return STORED


def _norwegian(event: Any, field: str, record: Any) -> str | None:
    name, _, rest = _head(field)
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
        return _norwegian_patient(event, rest or field, _patient_value(record, field))
    return None


def _norwegian_patient(event: Any, leaf: str, patient: str | None) -> str | None:
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


_TABLES: dict[str, Callable[[Any, str, Any], str | None]] = {
    "BookingEvent": _crm, "AvailableTimeslots": _slots, "GroupAppointmentEvent": _norwegian,
    "GroupSessionBooked": _elvis, "AttendanceReported": _elvis, "VisitRegistered": _elvis,
    "ParticipantCancelled": _elvis, "TelephoneContactReported": _elvis,
}


def source_of(event: Any, field: str, record: Any) -> str | None:
    """Where ``field`` of ``record`` came from when ``event`` was applied (None: no message element)."""
    table = _TABLES.get(type(event).__name__)
    return table(event, field, record) if table is not None else None


def annotate(entries: list[TraceEntry], event: Any, record: Any) -> None:
    """Fill in the source of each entry and name the rule of each value a rule decided."""
    for entry in entries:
        entry.source = source_of(event, entry.field, record)
        rule = rule_for(event, record, entry.field)
        if rule is not None:
            entry.by = {**entry.by, "rule": rule} if entry.by is not None else {"rule": rule}
