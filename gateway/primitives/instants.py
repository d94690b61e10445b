"""Dates and instants the gateway can hold, and the one strict spelling of a date it reads.

Python's ``datetime`` ends at 0001-01-01 and 9999-12-31, and every step past that edge raises
``OverflowError`` (or ``ValueError``): an offset turned into UTC (``0001-01-01T00:00:00+14:00``),
"the day after" of ``to=9999-12-31``, the month end of December 9999. Rather than guard each step,
every date a client sends is checked once, where it is read, against a range **one day inside**
the calendar: any offset (at most ±24 h) and one "next day" then stay inside it. A date outside is
refused with ``DATE_OUT_OF_RANGE`` (422), one code for every route, instead of a 500.

``date.fromisoformat`` also reads ISO spellings no client of a FHIR or report API means
(``20260101``, ``2026-W01``) and ``int()`` reads digits of other scripts (``２０２６``), so dates are
first matched against the extended ISO 8601 / FHIR pattern in ASCII digits.
"""

from __future__ import annotations

import datetime as dt
import re

from gateway.primitives.errors import Unprocessable

__all__ = [
    "FIRST_DAY", "LAST_DAY", "in_range", "is_fhir_date", "is_iso_day", "require_day_in_range",
    "require_in_range",
]

#: The first and last day a date may name: one day inside what ``datetime`` holds.
FIRST_DAY = dt.date(1, 1, 2)
LAST_DAY = dt.date(9999, 12, 30)

# FHIR's date / dateTime / instant pattern (ASCII digits only; re's [0-9] never takes "２"):
# YYYY, YYYY-MM, YYYY-MM-DD, or YYYY-MM-DDThh:mm[:ss[.fff]] with Z or ±hh:mm (offset optional here,
# the search reads a bare time in the gateway's zone).
_FHIR_DATE = re.compile(
    r"[0-9]{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01])"
    r"(T([01][0-9]|2[0-3]):[0-5][0-9](:([0-5][0-9]|60)(\.[0-9]{1,9})?)?(Z|[+-]((0[0-9]|1[0-3]):[0-5][0-9]|14:00))?)?)?)?"
)
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def is_fhir_date(text: str) -> bool:
    """``text`` is spelled as a FHIR date or dateTime (ASCII digits, extended format)."""
    return _FHIR_DATE.fullmatch(text) is not None


def is_iso_day(text: str) -> bool:
    """``text`` is spelled ``YYYY-MM-DD`` in ASCII digits (whether that day exists is the parser's)."""
    return _ISO_DAY.fullmatch(text) is not None


def in_range(moment: dt.date | dt.datetime) -> bool:
    """Whether ``moment`` lies between :data:`FIRST_DAY` and :data:`LAST_DAY`; an aware datetime by its
    UTC day, a naive one or a date by its own day."""
    if isinstance(moment, dt.datetime):
        if moment.tzinfo is not None and moment.utcoffset() is not None:
            try:
                moment = moment.astimezone(dt.UTC)
            except (OverflowError, ValueError):
                return False
        moment = moment.date()
    return FIRST_DAY <= moment <= LAST_DAY


def _refuse(text: object, location: str) -> Unprocessable:
    return Unprocessable("DATE_OUT_OF_RANGE", f"{str(text)[:40]!r} is outside the dates the gateway handles "
                         f"({FIRST_DAY.isoformat()} to {LAST_DAY.isoformat()})", location=location)


def require_in_range(moment: dt.datetime, *, location: str) -> dt.datetime:
    """``moment`` itself, or ``DATE_OUT_OF_RANGE`` (422) when it is too close to the calendar's edge."""
    if not in_range(moment):
        raise _refuse(moment.isoformat(), location)
    return moment


def require_day_in_range(day: dt.date, *, location: str) -> dt.date:
    """``day`` itself, or ``DATE_OUT_OF_RANGE`` (422) when it is the calendar's first or last day."""
    if not in_range(day):
        raise _refuse(day.isoformat(), location)
    return day
