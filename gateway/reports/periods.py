"""Report periods: calendar months or ISO weeks, clipped to the asked date range."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

__all__ = ["Period", "PeriodKind", "periods"]


class PeriodKind(StrEnum):
    MONTH = "month"
    WEEK = "week"


@dataclass(frozen=True, slots=True)
class Period:
    label: str  # 2026-03 or 2026-W10
    first: dt.date
    last: dt.date  # inclusive

    def holds(self, day: dt.date) -> bool:
        return self.first <= day <= self.last


def _month_end(day: dt.date) -> dt.date:
    if day.month == 12:  # also December 9999, whose following month does not exist
        return dt.date(day.year, 12, 31)
    return dt.date(day.year, day.month + 1, 1) - dt.timedelta(days=1)


def periods(first: dt.date, last: dt.date, kind: PeriodKind) -> list[Period]:
    """The periods from ``first`` to ``last`` (both inclusive); the outer two are clipped to them."""
    found: list[Period] = []
    day = first
    while day <= last:
        if kind is PeriodKind.MONTH:
            end = _month_end(day)
            label = f"{day.year:04d}-{day.month:02d}"
        else:
            # The week's Sunday may lie past the calendar's end (9999-12-31 is a Friday).
            end = day + dt.timedelta(days=min(6 - day.weekday(), (last - day).days))
            year, week, _ = day.isocalendar()
            label = f"{year:04d}-W{week:02d}"
        end = min(end, last)
        found.append(Period(label, day, end))
        if end == dt.date.max:
            break
        day = end + dt.timedelta(days=1)
    return found
