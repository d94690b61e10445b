"""GetAvailableTimeslotsResponse (crm:scheduling 1.1) into one canonical :class:`AvailableTimeslots`.

Each ``timeslotDetail`` is a TimeslotType like a booking's, read by the same
:func:`~adapters.inbound.crm_scheduling.timeslot.read_timeslot`; the contract rules the XSD leaves
optional are enforced here: a free time has a start and an end, and no patient. ``bookingId`` of a
free time is ignored: the gateway names a slot by its unit, performer/resource and times.
"""

from __future__ import annotations

from lxml import etree

from adapters.inbound.crm_scheduling.elements import children
from adapters.inbound.crm_scheduling.timeslot import read_timeslot
from gateway.domain.availability import AvailableSlot, AvailableTimeslots
from gateway.primitives.errors import Unprocessable

__all__ = ["available_timeslots_response"]


def _slot(element: etree._Element, *, path: str) -> AvailableSlot:
    booking = read_timeslot(element, path=path)
    if booking.start is None or booking.end is None:
        raise Unprocessable("TIMESLOT_TIME_MISSING",
                            "an available time needs startTimeInclusive and endTimeExclusive", location=path)
    if booking.patient is not None:
        raise Unprocessable("AVAILABLE_TIME_HAS_PATIENT",
                            "an available time is free: it names no subject_of_care",
                            location=f"{path}/subject_of_care")
    return AvailableSlot(
        facility=booking.facility, start=booking.start, end=booking.end, facility_name=booking.facility_name,
        performer=booking.performer, performer_name=booking.performer_name, resource_id=booking.resource_id,
        resource_name=booking.resource_name, time_type=booking.time_type, care_type=booking.care_type,
    )


def available_timeslots_response(root: etree._Element, source: str, path: str) -> list[AvailableTimeslots]:
    slots = tuple(_slot(element, path=f"{path}/timeslotDetail[{index}]")
                  for index, element in enumerate(children(root, "timeslotDetail"), start=1))
    return [AvailableTimeslots(source, slots, location=path)]
