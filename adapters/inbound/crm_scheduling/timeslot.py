"""TimeslotType (crm:scheduling 1.1 core) into a canonical :class:`~gateway.domain.booking.Booking`."""

from __future__ import annotations

import re

from lxml import etree

from adapters.inbound.crm_scheduling.elements import Children, Parent, boolean, child, required_text, text
from adapters.inbound.crm_scheduling.times import parse_ts
from gateway.domain.booking import Booking, LocalCode, PersonName
from gateway.primitives.errors import Unprocessable
from gateway.primitives.identifiers import Identifier, IdentifierKind, classify_swedish_person

__all__ = ["hsa_id", "read_person_name", "read_timeslot", "single_child"]

# HSA-id: "SE" + the organisation number (10 digits, or 12 with the "16" prefix) + "-" + a local part.
_HSA_ID = re.compile(r"^SE\d{10}(\d{2})?-[0-9A-Za-z]+$")


def hsa_id(value: str, *, location: str) -> Identifier:
    if not _HSA_ID.match(value):
        raise Unprocessable(
            "HSA_ID_INVALID", f"{value!r} is not an HSA-id (SE<organisation number>-<local part>)",
            location=location,
        )
    return Identifier(IdentifierKind.HSA_ID, value)


def read_person_name(info: etree._Element | None, *, path: str) -> PersonName | None:
    if info is None:
        return None
    names = Children(info)
    first = text(names, "firstName", path=path)
    middle = text(names, "middleName", path=path)
    last = text(names, "lastName", path=path)
    given = tuple(part for part in (first, middle) if part)
    if not given and not last:
        return None
    return PersonName(given=given, family=last)


def _local_code(slot: Children, code_name: str, display_name: str, *, path: str) -> LocalCode | None:
    code = text(slot, code_name, path=path)
    display = text(slot, display_name, path=path)
    if code is None:
        return LocalCode(code="", display=display) if display else None
    return LocalCode(code=code, display=display)


def read_timeslot(element: etree._Element, *, path: str, notification: str | None = None,
                  patient_name: PersonName | None = None) -> Booking:
    slot = Children(element)
    facility = required_text(slot, "healthcare_facility", path=path, why="the care unit owns every booking")
    performer = text(slot, "performer", path=path)
    subject = text(slot, "subject_of_care", path=path)
    start_text = text(slot, "startTimeInclusive", path=path)
    end_text = text(slot, "endTimeExclusive", path=path)
    start = parse_ts(start_text, location=f"{path}/startTimeInclusive") if start_text else None
    end = parse_ts(end_text, location=f"{path}/endTimeExclusive") if end_text else None
    if (start is None) != (end is None):
        raise Unprocessable(
            "TIMESLOT_INCOMPLETE", "a timeslot has both startTimeInclusive and endTimeExclusive or neither",
            location=path,
        )
    if start is not None and end is not None and end <= start:
        raise Unprocessable(
            "TIMESLOT_END_BEFORE_START", "endTimeExclusive must be after startTimeInclusive", location=path
        )
    is_invitation = boolean(slot, "isInvitation", path=path) or False
    return Booking(
        facility=hsa_id(facility, location=f"{path}/healthcare_facility"),
        booking_id=text(slot, "bookingId", path=path),
        facility_name=text(slot, "healthcare_facility_name", path=path),
        performer=hsa_id(performer, location=f"{path}/performer") if performer else None,
        performer_name=text(slot, "performerName", path=path),
        patient=classify_swedish_person(subject, location=f"{path}/subject_of_care") if subject else None,
        patient_name=patient_name,
        start=start,
        end=end,
        purpose=text(slot, "purpose", path=path),
        reason=text(slot, "reason", path=path),
        resource_name=text(slot, "resourceName", path=path),
        resource_id=text(slot, "resourceID", path=path),
        time_type=_local_code(slot, "timeTypeID", "timeTypeName", path=path),
        care_type=_local_code(slot, "careTypeID", "careTypeName", path=path),
        cancel_booking_allowed=boolean(slot, "cancel_booking_allowed", path=path),
        rebooking_allowed=boolean(slot, "rebooking_allowed", path=path),
        message_allowed=boolean(slot, "message_allowed", path=path),
        is_invitation=is_invitation,
        notification=notification,
    )


def single_child(parent: Parent, name: str, *, path: str, why: str) -> etree._Element:
    element = child(parent, name, path=path)
    if element is None:
        raise Unprocessable("ELEMENT_MISSING", f"{name} is required: {why}", location=f"{path}/{name}")
    return element
