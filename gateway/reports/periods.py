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
    following = dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return following - dt.timedelta(days=1)


def periods(first: dt.date, last: dt.date, kind: PeriodKind) -> list[Period]:
    """The periods from ``first`` to ``last`` (both inclusive); the outer two are clipped to them."""
    found: list[Period] = []
    day = first
    while day <= last:
        if kind is PeriodKind.MONTH:
            end = _month_end(day)
            label = f"{day.year:04d}-{day.month:02d}"
        else:
            end = day + dt.timedelta(days=6 - day.weekday())
            year, week, _ = day.isocalendar()
            label = f"{year:04d}-W{week:02d}"
        found.append(Period(label, day, min(end, last)))
        day = end + dt.timedelta(days=1)
    return found
