"""Where each record field came from in an Elvis group-visit message: elements of the event's own
element, and per patient under the patient's element (``INBOUND_FORMAT.trace_sources``)."""

from __future__ import annotations

from typing import Any

from gateway.ports.inbound import STORED, field_head, patient_in_field

__all__ = ["elvis_source"]

# Elvis group visit: elements of the event's own element, and per patient (under the patient's element).
_ELVIS = {"unit": "healthcare_facility", "facility": "healthcare_facility", "session_id": "sessionId",
          "visit_type_code": "visitTypeCode", "fee_code": "patientFeeCode", "payment_method": "paymentMethod",
          "action_code": "actionCode", "source_id": "visitId", "booking_id": "bookingId",
          "cancelled_by": "cancelledBy", "deviation": "deviation"}
_ELVIS_PATIENT = {"patient": "subject_of_care", "booking_id": "bookingId", "secondary_booking": "secondaryBooking",
                  "status": "attended", "attendance": "attended", "fee_rule": "attended"}
_ELVIS_PATIENT_OWN = frozenset({"patient", "booking_id", "secondary_booking"})


def elvis_source(event: Any, field: str, record: Any) -> str | None:
    location = event.location
    root = location.rsplit("/", 1)[0] if location.count("/") > 1 else location
    name, index, rest = field_head(field)
    kind = type(event).__name__
    if field == "group_id":
        return f"{root}/group/groupId"
    if name == "practitioners" and index is not None:
        if kind == "GroupSessionBooked":
            return f"{location}/groupLeader[{index + 1}]/performer"
        return f"{location}/performer" if kind == "TelephoneContactReported" else STORED
    if name in {"participants", "patient"} or (record.resource_type == "Encounter" and field == "status"):
        return _patient_source(event, rest or field, patient_in_field(record, field))
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


def _patient_source(event: Any, leaf: str, patient: str | None) -> str | None:
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
