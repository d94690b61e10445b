"""The 1177 self-service report of one care unit (the 1177 self-service goals), from stored resources.

Definitions (also in the JSON answer, ``definitions``):

- **booked time**: a stored one-patient Appointment (crm:scheduling booking) of the unit whose status
  is booked, arrived, fulfilled or noshow (not proposed: an unanswered open invitation has no time;
  not cancelled), counted in the period its start falls in (local date, Europe/Stockholm by default).
  Group sessions are not counted: they are not booked on 1177;
- **cancellable**: ``cancel_booking_allowed`` is true (absent counts as not allowed: the PAS did not
  tell 1177 it may); **reschedulable**: ``rebooking_allowed`` is true; **self-booked**: booked by the
  citizen, freely on 1177 (origin ``1177``) or by answering an open invitation (``open-invitation``);
- each **share** is that count over the booked times of the period, rounded to 4 decimals; null when
  the period has no booked time;
- **free-slot horizon**: the reference day is ``to``; among the unit's Slots that are free *now* (as
  stored when the report runs) and start after the reference day, the local day of the latest start
  minus the reference day, in days and in weeks (days / 7, one decimal). The goal (eight weeks) is met
  when that is at least 56 days. No such slot: 0 days, not met.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from gateway.domain.booking_records import AppointmentRecord
from gateway.domain.schedule_records import SlotRecord
from gateway.fhir.kinds import decode_stored
from gateway.ports.store import Condition, Store, Stored
from gateway.primitives.errors import MalformedInput
from gateway.primitives.instants import is_iso_day, require_day_in_range
from gateway.reports.periods import Period, PeriodKind, periods

__all__ = ["BOOKED_STATUSES", "GOAL_WEEKS", "SELF_BOOKED_ORIGINS", "ReportRequest", "parse_request",
           "self_service_report"]

JSON = dict[str, Any]
BOOKED_STATUSES = ("arrived", "booked", "fulfilled", "noshow")
SELF_BOOKED_ORIGINS = ("1177", "open-invitation")
GOAL_WEEKS = 8
_PAGE = 500
MAX_DAYS = 3 * 366  # a range longer than three years is a mistake, and would scan the whole store
_HSA_ID = re.compile(r"^SE\d{10}(\d{2})?-[0-9A-Za-z]+$")

DEFINITIONS: JSON = {
    "booked": "Appointments of the unit with status booked, arrived, fulfilled or noshow, by local start date",
    "cancellable": "booked times with cancel_booking_allowed = true (absent counts as false)",
    "reschedulable": "booked times with rebooking_allowed = true (absent counts as false)",
    "self_booked": "booked times booked by the citizen: origin 1177 or open-invitation",
    "share": "count / booked, rounded to 4 decimals; null when booked is 0",
    "free_slot_horizon": "latest start (local day) of the unit's currently free Slots after the reference day "
                         "`to`, minus `to`; goal met when >= 56 days (8 weeks)",
}


@dataclass(frozen=True, slots=True)
class ReportRequest:
    unit: str  # HSA-id
    first: dt.date
    last: dt.date  # inclusive; the horizon's reference day
    period: PeriodKind = PeriodKind.MONTH


def _date(name: str, text: str) -> dt.date:
    try:
        # fromisoformat alone would also take 20260101 and 2026-W01.
        if not is_iso_day(text):
            raise ValueError(text)
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise MalformedInput("REPORT_PARAMETER_INVALID", f"{name}: {text[:40]!r} is not a date (YYYY-MM-DD)",
                             location=name) from None
    # The report works in local days turned into UTC, and asks for "the day after" `to`.
    return require_day_in_range(day, location=name)


def parse_request(unit: str, first: str, last: str, period: str = "month") -> ReportRequest:
    """The report's parameters as given by a query string or the command line, checked."""
    if not _HSA_ID.match(unit):
        raise MalformedInput("REPORT_PARAMETER_INVALID", f"unit: {unit!r} is not an HSA-id", location="unit")
    start, end = _date("from", first), _date("to", last)
    if end < start:
        raise MalformedInput("REPORT_PARAMETER_INVALID", "to is before from", location="to")
    if (end - start).days > MAX_DAYS:
        raise MalformedInput("REPORT_PARAMETER_INVALID", f"from..to spans more than {MAX_DAYS} days", location="to")
    try:
        kind = PeriodKind(period)
    except ValueError:
        raise MalformedInput("REPORT_PARAMETER_INVALID", "period: use month or week", location="period") from None
    return ReportRequest(unit, start, end, kind)


def _instant(day: dt.date, zone: ZoneInfo) -> str:
    return dt.datetime.combine(day, dt.time(), tzinfo=zone).astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _all(store: Store, resource_type: str, conditions: Sequence[Condition]) -> Iterator[Stored]:
    offset = 0
    while True:
        page = store.search(resource_type, conditions, count=_PAGE, offset=offset)
        yield from page.items
        offset += _PAGE
        if offset >= page.total or not page.items:
            return


def _bookings(store: Store, request: ReportRequest, zone: ZoneInfo) -> list[AppointmentRecord]:
    conditions = [
        Condition("facility", "eq", (request.unit,)),
        Condition("status", "eq", BOOKED_STATUSES),
        Condition("date", "ge", (_instant(request.first, zone),)),
        Condition("date", "lt", (_instant(request.last + dt.timedelta(days=1), zone),)),
    ]
    found = [decode_stored(stored) for stored in _all(store, "Appointment", conditions)]
    return [record for record in found if isinstance(record, AppointmentRecord) and record.start]


def _share(count: int, total: int) -> float | None:
    return round(count / total, 4) if total else None


def _counts(label: str | None, first: dt.date, last: dt.date, records: list[AppointmentRecord]) -> JSON:
    booked = len(records)
    cancellable = sum(1 for record in records if record.cancel_booking_allowed is True)
    reschedulable = sum(1 for record in records if record.rebooking_allowed is True)
    by_origin = {origin: sum(1 for record in records if record.origin == origin) for origin in SELF_BOOKED_ORIGINS}
    self_booked = sum(by_origin.values())
    return {
        **({"period": label} if label is not None else {}),
        "from": first.isoformat(), "to": last.isoformat(),
        "booked": booked, "cancellable": cancellable, "reschedulable": reschedulable,
        "self_booked": self_booked, "self_booked_by_origin": by_origin,
        "share_cancellable": _share(cancellable, booked),
        "share_reschedulable": _share(reschedulable, booked),
        "share_self_booked": _share(self_booked, booked),
    }


def _horizon(store: Store, request: ReportRequest, zone: ZoneInfo) -> JSON:
    conditions = [
        Condition("facility.value", "eq", (request.unit,)),
        Condition("status", "eq", ("free",)),
        Condition("start", "ge", (_instant(request.last + dt.timedelta(days=1), zone),)),
    ]
    latest: dt.datetime | None = None
    for stored in _all(store, "Slot", conditions):
        record = decode_stored(stored)
        if isinstance(record, SlotRecord):
            start = dt.datetime.fromisoformat(record.start).astimezone(zone)
            latest = start if latest is None or start > latest else latest
    days = (latest.date() - request.last).days if latest is not None else 0
    return {
        "reference_date": request.last.isoformat(),
        "last_free_slot_start": latest.isoformat() if latest is not None else None,
        "days": days, "weeks": round(days / 7, 1), "goal_weeks": GOAL_WEEKS, "met": days >= GOAL_WEEKS * 7,
    }


def _rising(rows: list[JSON], key: str) -> bool | None:
    """Whether the share rose from each period with booked times to the next (None: fewer than two)."""
    shares = [row[key] for row in rows if row[key] is not None]
    if len(shares) < 2:
        return None
    return all(later > earlier for earlier, later in itertools.pairwise(shares))


def _unit_name(records: list[AppointmentRecord]) -> str | None:
    named = sorted((record.start or "", record.facility_name) for record in records if record.facility_name)
    return named[-1][1] if named else None


def self_service_report(store: Store, request: ReportRequest, zone: ZoneInfo) -> JSON:
    records = _bookings(store, request, zone)
    by_period: list[tuple[Period, list[AppointmentRecord]]] = [
        (period, []) for period in periods(request.first, request.last, request.period)]
    for record in records:
        assert record.start is not None
        day = dt.datetime.fromisoformat(record.start).astimezone(zone).date()
        for period, members in by_period:
            if period.holds(day):
                members.append(record)
                break
    rows = [_counts(period.label, period.first, period.last, members) for period, members in by_period]
    total = _counts(None, request.first, request.last, records)
    horizon = _horizon(store, request, zone)
    return {
        "report": "1177-self-service",
        "unit": request.unit,
        "unit_name": _unit_name(records),
        "from": request.first.isoformat(),
        "to": request.last.isoformat(),
        "period": request.period.value,
        "periods": rows,
        "total": total,
        "free_slot_horizon": horizon,
        "goals": {
            "all_cancellable": total["booked"] > 0 and total["cancellable"] == total["booked"],
            "reschedulable_share_rising": _rising(rows, "share_reschedulable"),
            "self_booked_share_rising": _rising(rows, "share_self_booked"),
            "free_slots_eight_weeks_ahead": horizon["met"],
        },
        "definitions": DEFINITIONS,
    }
