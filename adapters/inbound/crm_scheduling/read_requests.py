"""The three crm:scheduling 1.1 read *requests* a producer answers (GetBookingDetails,
GetSubjectOfCareSchedule, GetAvailableTimeslots), read into plain values.

The booking messages (:mod:`adapters.inbound.crm_scheduling.messages`) read what a unit *sends*; these
read what a consumer (1177, the national platform) *asks*. Same element readers, same codes:
``HSA_ID_INVALID``, ``SUBJECT_OF_CARE_INVALID``/``_CHECK_DIGIT``, ``TIME_MALFORMED``, ``ELEMENT_MISSING``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from lxml import etree

from adapters.inbound.crm_scheduling.elements import Children, children, required_text, text
from adapters.inbound.crm_scheduling.timeslot import hsa_id
from gateway.primitives.errors import Unprocessable
from gateway.primitives.identifiers import classify_swedish_person

__all__ = ["AvailableTimeslotsQuery", "BookingDetailsQuery", "ScheduleQuery", "read_available_timeslots",
           "read_booking_details", "read_schedule"]


@dataclass(frozen=True, slots=True)
class BookingDetailsQuery:
    unit: str
    booking_id: str


@dataclass(frozen=True, slots=True)
class ScheduleQuery:
    unit: str
    subject_of_care: str  # a valid personnummer or samordningsnummer (check digit checked)


@dataclass(frozen=True, slots=True)
class AvailableTimeslotsQuery:
    unit: str
    first_day: dt.date  # Swedish local days, both inclusive
    last_day: dt.date
    performers: frozenset[str]  # any of them; empty: all
    time_type_id: str | None
    care_type_id: str | None
    time_type_name: str | None
    care_type_name: str | None
    subject_of_care: str | None


def _unit(root: Children, path: str) -> str:
    value = required_text(root, "healthcare_facility", path=path, why="the unit answers for its own times")
    return hsa_id(value, location=f"{path}/healthcare_facility").value


def _day(root: Children, name: str, path: str) -> dt.date:
    value = required_text(root, name, path=path, why="it bounds the range asked for")
    try:
        if len(value) != 8 or not value.isdigit():
            raise ValueError
        return dt.date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        raise Unprocessable("TIME_MALFORMED", f"{value!r} is not a date YYYYMMDD",
                            location=f"{path}/{name}") from None


def read_booking_details(element: etree._Element) -> BookingDetailsQuery:
    path = "/GetBookingDetails"
    root = Children(element)
    unit = _unit(root, path)
    return BookingDetailsQuery(unit, required_text(root, "bookingId", path=path, why="it names the booking"))


def read_schedule(element: etree._Element) -> ScheduleQuery:
    path = "/GetSubjectOfCareSchedule"
    root = Children(element)
    unit = _unit(root, path)
    subject = required_text(root, "subject_of_care", path=path, why="it names the citizen")
    return ScheduleQuery(unit, classify_swedish_person(subject, location=f"{path}/subject_of_care").value)


def read_available_timeslots(element: etree._Element) -> AvailableTimeslotsQuery:
    path = "/GetAvailableTimeslots"
    root = Children(element)
    unit = _unit(root, path)
    first, last = _day(root, "startDateInclusive", path), _day(root, "endDateInclusive", path)
    performers = frozenset(hsa_id((item.text or "").strip(), location=f"{path}/performer").value
                           for item in children(root, "performer"))
    subject = text(root, "subject_of_care", path=path)  # required by the XSD; checked, kept for the audit
    if subject:
        subject = classify_swedish_person(subject, location=f"{path}/subject_of_care").value
    return AvailableTimeslotsQuery(
        unit, first, last, performers, text(root, "timeTypeID", path=path), text(root, "careTypeID", path=path),
        text(root, "timeTypeName", path=path), text(root, "careTypeName", path=path), subject)
