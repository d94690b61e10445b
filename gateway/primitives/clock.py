"""Instants as the stores keep them: UTC with milliseconds, sortable as text."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

__all__ = ["Clock", "instant", "utc_now_instant"]

Clock = Callable[[], dt.datetime]


def utc_now_instant(clock: Clock) -> str:
    """FHIR instant in UTC with milliseconds: sortable as text."""
    return clock().astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def instant(moment: dt.datetime) -> str:
    """A UTC instant as the store's sortable text."""
    return utc_now_instant(lambda: moment)
