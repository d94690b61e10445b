"""Distinct crm:scheduling 1.1 MakeBooking messages for the benchmarks.

Every message differs in bookingId, patient (a personnummer with a valid Luhn check digit), time
slot and local codes, so that no push is answered from the receipt table and every push creates
a new Appointment. Slots lie between 08:00 and 16:00 Swedish time, far from the DST gap at 02:00.
"""

from __future__ import annotations

import datetime as dt

__all__ = ["luhn_check_digit", "make_booking", "make_bookings", "personnummer"]

_TIME_TYPES = ("NYB", "ATB", "KONTROLL", "TELE", "VIDEO")
_CARE_TYPES = ("LAK", "SSK", "FYS", "PSY")
_FIRST_NAMES = ("Tolvan", "Anna", "Erik", "Sara", "Johan", "Maria", "Lars", "Karin")
_LAST_NAMES = ("Tolvansson", "Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson")

_TEMPLATE = """<?xml version="1.0" encoding="UTF-8"?>
<mb:MakeBooking xmlns:mb="urn:riv:crm:scheduling:MakeBookingResponder:1" xmlns:core="urn:riv:crm:scheduling:1">
  <mb:healthcare_facility_med>SE2321000016-1003</mb:healthcare_facility_med>
  <mb:requestedTimeslot>
    <core:healthcare_facility>SE2321000016-1003</core:healthcare_facility>
    <core:healthcare_facility_name>Vårdcentralen Centrum</core:healthcare_facility_name>
    <core:bookingId>{booking_id}</core:bookingId>
    <core:subject_of_care>{patient}</core:subject_of_care>
    <core:startTimeInclusive>{start}</core:startTimeInclusive>
    <core:endTimeExclusive>{end}</core:endTimeExclusive>
    <core:performer>SE2321000016-P{performer:03d}</core:performer>
    <core:performerName>Doktor {performer:03d}</core:performerName>
    <core:timeTypeID>{time_type}</core:timeTypeID>
    <core:timeTypeName>Tidstyp {time_type}</core:timeTypeName>
    <core:careTypeID>{care_type}</core:careTypeID>
    <core:careTypeName>Vårdtyp {care_type}</core:careTypeName>
    <core:purpose>Uppföljning</core:purpose>
    <core:reason>Besvär sedan {days} dagar</core:reason>
    <core:resourceName>Rum {room}</core:resourceName>
    <core:resourceID>R{room}</core:resourceID>
    <core:cancel_booking_allowed>true</core:cancel_booking_allowed>
    <core:rebooking_allowed>true</core:rebooking_allowed>
    <core:message_allowed>false</core:message_allowed>
  </mb:requestedTimeslot>
  <mb:subject_of_care_info>
    <core:firstName>{first}</core:firstName>
    <core:lastName>{last}</core:lastName>
  </mb:subject_of_care_info>
  <mb:notification>Kom 10 minuter innan.</mb:notification>
</mb:MakeBooking>
"""


def luhn_check_digit(digits: str) -> int:
    """The Luhn check digit to append to ``digits`` (the 9 digits yymmddnnn of a personnummer)."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        number = int(char) * (2 if index % 2 == 0 else 1)
        total += number - 9 if number > 9 else number
    return (10 - total % 10) % 10


def personnummer(index: int) -> str:
    """A 12-digit personnummer (yyyymmddnnnc), valid date and Luhn digit, distinct for index < 10**6."""
    birth = dt.date(1930, 1, 1) + dt.timedelta(days=index % 30_000)
    serial = (index // 30_000) * 37 % 1000 + index % 7  # varies the serial too; uniqueness comes from the date
    body = f"{birth:%y%m%d}{serial % 1000:03d}"
    return f"{birth:%Y%m%d}{serial % 1000:03d}{luhn_check_digit(body)}"


def make_booking(index: int, *, prefix: str) -> bytes:
    """MakeBooking number ``index``: bookingId ``<prefix>-<index>``, a 30-minute slot on a distinct time."""
    day = dt.date(2025, 1, 2) + dt.timedelta(days=index // 16)
    start = dt.datetime.combine(day, dt.time(8, 0)) + dt.timedelta(minutes=30 * (index % 16))
    end = start + dt.timedelta(minutes=30)
    text = _TEMPLATE.format(
        booking_id=f"{prefix}-{index:07d}",
        patient=personnummer(index),
        start=f"{start:%Y%m%d%H%M%S}",
        end=f"{end:%Y%m%d%H%M%S}",
        performer=index % 40,
        time_type=_TIME_TYPES[index % len(_TIME_TYPES)],
        care_type=_CARE_TYPES[index % len(_CARE_TYPES)],
        days=index % 30 + 1,
        room=index % 25 + 1,
        first=_FIRST_NAMES[index % len(_FIRST_NAMES)],
        last=_LAST_NAMES[index % len(_LAST_NAMES)],
    )
    return text.encode("utf-8")


def make_bookings(count: int, *, prefix: str, start: int = 0) -> list[bytes]:
    return [make_booking(index, prefix=prefix) for index in range(start, start + count)]
