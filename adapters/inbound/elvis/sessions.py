"""GroupSessionBooking, AttendanceReport and Cancellation: a group session and what happens to it.

Contract rules enforced here (the XSD states the shape; these are the rules a schema cannot say or
that must hold whichever schema a sender used):

- a session has a group (id and name), a unit, a start before its end and a capacity of at least 1;
- every booked patient has a valid personnummer (or samordnings-/reservnummer) and an own
  ``bookingId``; no patient and no ``bookingId`` twice in one session;
- ``secondaryBooking`` is Elvis' mark ``X`` or absent;
- an attendance report names each patient once, with ``attended`` true or false;
- a cancellation says who cancelled (patient, guardian or unit) and carries the visit deviation
  text, which the routine requires to be noted (the Elvis BUP group routine, point 3).
"""

from __future__ import annotations

from lxml import etree

from adapters.inbound.crm_scheduling.elements import boolean, children, required_text, text
from adapters.inbound.crm_scheduling.timeslot import read_person_name, single_child
from adapters.inbound.elvis.common import leaders, patient, positive_int, required_times, unique, unit
from gateway.domain.booking import LocalCode
from gateway.domain.groups import (
    AttendanceReported,
    BookedPatient,
    CancelledBy,
    GroupEvent,
    GroupSessionBooked,
    ParticipantCancelled,
    PatientAttendance,
)
from gateway.primitives.errors import Unprocessable

__all__ = ["attendance_report", "cancellation", "group_session_booking"]

SECONDARY_MARK = "X"


def _booked_patient(element: etree._Element, *, path: str) -> BookedPatient:
    mark = text(element, "secondaryBooking", path=path)
    if mark is not None and mark != SECONDARY_MARK:
        raise Unprocessable("SECONDARY_MARK_INVALID",
                            f"secondaryBooking is Elvis' mark {SECONDARY_MARK!r} or absent, not {mark!r}",
                            location=f"{path}/secondaryBooking")
    return BookedPatient(
        patient=patient(element, path=path),
        booking_id=required_text(element, "bookingId", path=path,
                                 why="each patient in a group has a booking of their own"),
        name=read_person_name(element, path=path),
        secondary_booking=mark == SECONDARY_MARK,
        location=path,
    )


def _visit_type(parent: etree._Element, *, path: str) -> LocalCode | None:
    code = text(parent, "visitTypeCode", path=path)
    display = text(parent, "visitTypeName", path=path)
    if code is None:
        if display is not None:
            raise Unprocessable("ELEMENT_MISSING", "visitTypeName needs its visitTypeCode",
                                location=f"{path}/visitTypeCode")
        return None
    return LocalCode(code, display)


def group_session_booking(root: etree._Element, source: str, path: str) -> list[GroupEvent]:
    group_path = f"{path}/group"
    group = single_child(root, "group", path=path, why="a session belongs to a group")
    session_path = f"{path}/session"
    session = single_child(root, "session", path=path, why="the message books one session")
    start, end = required_times(session, path=session_path, why="a group session takes place at a set time")
    capacity = positive_int(session, "capacity", path=session_path, code="CAPACITY_INVALID")
    if capacity is None:
        raise Unprocessable("ELEMENT_MISSING", "capacity is required: the number of places of the session",
                            location=f"{session_path}/capacity")
    patients = tuple(_booked_patient(element, path=f"{session_path}/patient[{index}]")
                     for index, element in enumerate(children(session, "patient"), start=1))
    unique([(booked.patient, booked.location) for booked in patients], what="the session")
    booking_ids: set[str] = set()
    for booked in patients:
        if booked.booking_id in booking_ids:
            raise Unprocessable("BOOKING_ID_REPEATED", f"bookingId {booked.booking_id} is given to two patients",
                                location=f"{booked.location}/bookingId")
        booking_ids.add(booked.booking_id)
    event = GroupSessionBooked(
        source=source,
        unit=unit(session, path=session_path),
        group_id=required_text(group, "groupId", path=group_path, why="it identifies the group"),
        group_name=required_text(group, "groupName", path=group_path, why="e.g. 'ADHD Ung'"),
        session_id=required_text(session, "sessionId", path=session_path, why="it identifies the session"),
        start=start,
        end=end,
        capacity=capacity,
        patients=patients,
        unit_name=text(session, "healthcare_facility_name", path=session_path),
        session_number=positive_int(session, "sessionNumber", path=session_path, code="SESSION_NUMBER_INVALID"),
        leaders=leaders(session, "groupLeader", path=session_path),
        visit_type=_visit_type(session, path=session_path),
        location=session_path,
    )
    return [event]


def attendance_report(root: etree._Element, source: str, path: str) -> list[GroupEvent]:
    entries = children(root, "patient")
    if not entries:
        raise Unprocessable("ELEMENT_MISSING", "an attendance report names at least one patient",
                            location=f"{path}/patient")
    attendance = []
    for index, element in enumerate(entries, start=1):
        where = f"{path}/patient[{index}]"
        attended = boolean(element, "attended", path=where)
        if attended is None:
            raise Unprocessable("ELEMENT_MISSING", "attended is required: did the patient come (true) or not",
                                location=f"{where}/attended")
        attendance.append(PatientAttendance(patient(element, path=where), attended, where))
    unique([(entry.patient, entry.location) for entry in attendance], what="the report")
    return [AttendanceReported(
        source=source, unit=unit(root, path=path),
        session_id=required_text(root, "sessionId", path=path, why="it names the session reported on"),
        attendance=tuple(attendance), reported_by=leaders(root, "reportedBy", path=path), location=path,
    )]


def cancellation(root: etree._Element, source: str, path: str) -> list[GroupEvent]:
    by = required_text(root, "cancelledBy", path=path, why="a patient's or guardian's cancellation is not a no-show")
    try:
        cancelled_by = CancelledBy(by)
    except ValueError:
        raise Unprocessable("CANCELLED_BY_UNKNOWN", f"cancelledBy is one of "
                            f"{', '.join(member.value for member in CancelledBy)}, not {by!r}",
                            location=f"{path}/cancelledBy") from None
    return [ParticipantCancelled(
        source=source, unit=unit(root, path=path),
        session_id=required_text(root, "sessionId", path=path, why="it names the session"),
        patient=patient(root, path=path), cancelled_by=cancelled_by,
        deviation=required_text(root, "deviation", path=path,
                                why="the visit deviation (besöksavvikelse) is noted for every cancellation"),
        location=path,
    )]
