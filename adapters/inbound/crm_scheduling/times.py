"""crm:scheduling time stamps: ``YYYYMMDDhhmmss`` in Swedish local time, without an offset.

The offset is not in the message, so it is derived from the Europe/Stockholm rules (DST aware):

- a local time inside the spring-forward gap (last Sunday of March, 02:00–02:59) names no instant
  and is refused with ``TIME_NONEXISTENT``;
- a local time inside the autumn fall-back overlap (last Sunday of October, 02:00–02:59 happens
  twice) is resolved to the **first** occurrence, still summer time (+02:00). Rule's reason: the
  booking systems store wall-clock times and book the overlap hour rarely and only by its first
  occurrence; choosing the earlier instant never makes a patient late.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from gateway.primitives.errors import Unprocessable
from gateway.primitives.instants import in_range

__all__ = ["STOCKHOLM", "is_ambiguous", "parse_ts"]

STOCKHOLM = ZoneInfo("Europe/Stockholm")


def is_ambiguous(naive: dt.datetime) -> bool:
    first = naive.replace(tzinfo=STOCKHOLM, fold=0).utcoffset()
    second = naive.replace(tzinfo=STOCKHOLM, fold=1).utcoffset()
    return first != second and not _in_gap(naive)


def _in_gap(naive: dt.datetime) -> bool:
    aware = naive.replace(tzinfo=STOCKHOLM)
    back = aware.astimezone(dt.UTC).astimezone(STOCKHOLM).replace(tzinfo=None)
    return back != naive


def parse_ts(text: str, *, location: str) -> dt.datetime:
    """Parse a TS value into an aware datetime in Europe/Stockholm."""
    value = text.strip()
    if len(value) != 14 or not value.isdigit() or not value.isascii():
        raise Unprocessable(
            "TIME_MALFORMED", f"{text!r} is not a time stamp of the form YYYYMMDDhhmmss", location=location
        )
    try:
        naive = dt.datetime(int(value[0:4]), int(value[4:6]), int(value[6:8]),
                            int(value[8:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise Unprocessable("TIME_MALFORMED", f"{text!r} is not a real date and time", location=location) from None
    # Before any zone arithmetic: 00010101000000 in Stockholm (+01:12 then) is a UTC time before year 1.
    if not in_range(naive):
        raise Unprocessable("DATE_OUT_OF_RANGE", f"{text!r} is outside the dates the gateway handles",
                            location=location)
    if _in_gap(naive):
        raise Unprocessable(
            "TIME_NONEXISTENT",
            f"{text} does not exist in Swedish local time (clocks jump from 02:00 to 03:00 that night)",
            location=location,
        )
    # fold=0 is the first occurrence of an ambiguous wall time: the documented rule above.
    return naive.replace(tzinfo=STOCKHOLM, fold=0)
