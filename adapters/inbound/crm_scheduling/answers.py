"""The six crm:scheduling 1.1 responder answers (RIVTA BP 2.1), built from plain values (lxml only).

Namespaces (from the official XSDs, crm_scheduling_1.1):

- the answer element and its own children (``bookingId``, ``resultCode``, ``resultText``,
  ``timeslotDetail``) are in the responder namespace ``urn:riv:crm:scheduling:<X>Responder:1``;
- the children of a ``timeslotDetail`` (``TimeslotType``) are in the *core* namespace
  ``urn:riv:crm:scheduling:1`` (the core schema is elementFormDefault=qualified), except
  ``isInvitation``, a ref to ``urn:riv:crm:scheduling:1.1`` (the 1.1 extension schema);
- ``TimeslotType`` is a strict sequence: the order of :data:`_TIMESLOT_ORDER` is the schema's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from zoneinfo import ZoneInfo

from lxml import etree

__all__ = [
    "CORE_NS", "EXT_NS", "INTERACTIONS", "Interaction", "ResultCode", "Timeslot", "WriteResult",
    "available_timeslots_response", "booking_details_response", "cancel_booking_response",
    "make_booking_response", "subject_of_care_schedule_response", "ts", "update_booking_response",
]

CORE_NS = "urn:riv:crm:scheduling:1"
EXT_NS = "urn:riv:crm:scheduling:1.1"
STOCKHOLM = ZoneInfo("Europe/Stockholm")


@dataclass(frozen=True, slots=True)
class Interaction:
    name: str  # MakeBooking

    @property
    def responder_ns(self) -> str:
        return f"urn:riv:crm:scheduling:{self.name}Responder:1"

    @property
    def wsdl_ns(self) -> str:  # the WSDL's targetNamespace (tns of binding, portType, service)
        return f"urn:riv:crm:scheduling:{self.name}:1:rivtabp21"

    @property
    def soap_action(self) -> str:
        return f"{self.responder_ns}:{self.name}"

    @property
    def binding(self) -> str:  # zeep: Client(wsdl).create_service(binding, address)
        return f"{{{self.wsdl_ns}}}{self.name}ResponderBinding"

    @property
    def request_tag(self) -> str:
        return f"{{{self.responder_ns}}}{self.name}"

    @property
    def response_tag(self) -> str:
        return f"{{{self.responder_ns}}}{self.name}Response"

    @property
    def path(self) -> str:  # RIVTA's own URL convention
        return f"/rivta/{self.name}/1/rivtabp21"

    @property
    def wsdl_file(self) -> str:  # relative to the crm_scheduling_1.1 tree
        return f"interactions/{self.name}Interaction/{self.name}Interaction_1.1_RIVTABP21.wsdl"

    @property
    def is_write(self) -> bool:
        return self.name in {"MakeBooking", "UpdateBooking", "CancelBooking"}


INTERACTIONS: dict[str, Interaction] = {name: Interaction(name) for name in (
    "MakeBooking", "UpdateBooking", "CancelBooking",
    "GetBookingDetails", "GetSubjectOfCareSchedule", "GetAvailableTimeslots",
)}


class ResultCode(StrEnum):
    OK = "OK"
    INFO = "INFO"
    ERROR = "ERROR"


@dataclass(frozen=True, slots=True)
class WriteResult:
    result_code: ResultCode
    result_text: str | None = None
    booking_id: str | None = None  # MakeBooking only


@dataclass(frozen=True, slots=True)
class Timeslot:
    """One TimeslotType, as plain values (filled from an AppointmentRecord, a group session
    participant or a SlotRecord by gateway/bookings/rivta_reads.py). Times are aware datetimes or
    ``None`` (open invitation)."""

    healthcare_facility: str
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    performer: str | None = None
    booking_id: str | None = None
    subject_of_care: str | None = None
    purpose: str | None = None
    reason: str | None = None
    resource_name: str | None = None
    healthcare_facility_name: str | None = None
    performer_name: str | None = None
    resource_id: str | None = None
    time_type_name: str | None = None
    time_type_id: str | None = None
    care_type_name: str | None = None
    care_type_id: str | None = None
    cancel_booking_allowed: bool | None = None
    rebooking_allowed: bool | None = None
    message_allowed: bool | None = None
    is_invitation: bool | None = None


def ts(value: dt.datetime) -> str:
    """TS (YYYYMMDDhhmmss) in Swedish local time: what the contract's times are."""
    if value.tzinfo is None:
        raise ValueError("a naive datetime has no Swedish local time; give an aware one")
    return value.astimezone(STOCKHOLM).strftime("%Y%m%d%H%M%S")


def _bool(value: bool) -> str:
    return "true" if value else "false"


# (element local name, Timeslot attribute, how to render) in the XSD's sequence order.
_TIMESLOT_ORDER: tuple[tuple[str, str], ...] = (
    ("startTimeInclusive", "start"), ("endTimeExclusive", "end"),
    ("healthcare_facility", "healthcare_facility"), ("performer", "performer"), ("bookingId", "booking_id"),
    ("subject_of_care", "subject_of_care"), ("purpose", "purpose"), ("reason", "reason"),
    ("resourceName", "resource_name"), ("healthcare_facility_name", "healthcare_facility_name"),
    ("performerName", "performer_name"), ("resourceID", "resource_id"), ("timeTypeName", "time_type_name"),
    ("timeTypeID", "time_type_id"), ("careTypeName", "care_type_name"), ("careTypeID", "care_type_id"),
    ("cancel_booking_allowed", "cancel_booking_allowed"), ("rebooking_allowed", "rebooking_allowed"),
    ("message_allowed", "message_allowed"),
)
_CORE_TAGS = {name: f"{{{CORE_NS}}}{name}" for name, _ in _TIMESLOT_ORDER}
_IS_INVITATION = f"{{{EXT_NS}}}isInvitation"


def _timeslot(parent: etree._Element, tag: str, slot: Timeslot) -> None:
    element = etree.SubElement(parent, tag)
    for name, attribute in _TIMESLOT_ORDER:
        value = getattr(slot, attribute)
        if value is None:
            continue
        if isinstance(value, bool):
            text = _bool(value)
        elif isinstance(value, dt.datetime):
            text = ts(value)
        else:
            text = value
        etree.SubElement(element, _CORE_TAGS[name]).text = text
    if slot.is_invitation is not None:
        etree.SubElement(element, _IS_INVITATION).text = _bool(slot.is_invitation)


def _root(interaction: str) -> tuple[etree._Element, str]:
    spec = INTERACTIONS[interaction]
    ns = spec.responder_ns
    # Prefixes: the answer in its own, core and ext declared once on the root (short, readable output).
    return etree.Element(spec.response_tag, nsmap={"ns": ns, "core": CORE_NS, "ext": EXT_NS}), ns


def _write(interaction: str, result: WriteResult, *, booking_id: bool) -> etree._Element:
    root, ns = _root(interaction)
    if booking_id and result.booking_id is not None:
        etree.SubElement(root, f"{{{ns}}}bookingId").text = result.booking_id
    etree.SubElement(root, f"{{{ns}}}resultCode").text = result.result_code.value
    if result.result_text:
        etree.SubElement(root, f"{{{ns}}}resultText").text = result.result_text
    return root


def make_booking_response(result: WriteResult) -> etree._Element:
    """MakeBookingResponse: bookingId (0..1), resultCode (1), resultText (0..1)."""
    return _write("MakeBooking", result, booking_id=True)


def update_booking_response(result: WriteResult) -> etree._Element:
    return _write("UpdateBooking", result, booking_id=False)


def cancel_booking_response(result: WriteResult) -> etree._Element:
    return _write("CancelBooking", result, booking_id=False)


def booking_details_response(slot: Timeslot) -> etree._Element:
    """GetBookingDetailsResponse: exactly one timeslotDetail (no resultCode in this schema)."""
    root, ns = _root("GetBookingDetails")
    _timeslot(root, f"{{{ns}}}timeslotDetail", slot)
    return root


def _list(interaction: str, slots: Iterable[Timeslot]) -> etree._Element:
    root, ns = _root(interaction)
    tag = f"{{{ns}}}timeslotDetail"
    for slot in slots:
        _timeslot(root, tag, slot)
    return root


def subject_of_care_schedule_response(slots: Iterable[Timeslot]) -> etree._Element:
    """GetSubjectOfCareScheduleResponse: timeslotDetail 0..n (no resultCode)."""
    return _list("GetSubjectOfCareSchedule", slots)


def available_timeslots_response(slots: Iterable[Timeslot]) -> etree._Element:
    """GetAvailableTimeslotsResponse: timeslotDetail 0..n, free times (no subject_of_care)."""
    return _list("GetAvailableTimeslots", slots)
