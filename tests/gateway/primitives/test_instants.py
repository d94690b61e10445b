"""The calendar range every date is checked against, and the strict FHIR date spelling."""

from __future__ import annotations

import datetime as dt

import pytest

from gateway.primitives.errors import Unprocessable
from gateway.primitives.instants import FIRST_DAY, LAST_DAY, in_range, is_fhir_date, is_iso_day, require_in_range

PLUS_14 = dt.timezone(dt.timedelta(hours=14))
MINUS_14 = dt.timezone(dt.timedelta(hours=-14))


@pytest.mark.parametrize("moment", [
    dt.datetime(1, 1, 1, tzinfo=PLUS_14),  # before year 1 in UTC: astimezone raises OverflowError
    dt.datetime(9999, 12, 31, 22, tzinfo=MINUS_14),  # after 9999 in UTC
    dt.datetime(1, 1, 1, 23, tzinfo=dt.UTC), dt.datetime(9999, 12, 31, tzinfo=dt.UTC),
    dt.datetime(1, 1, 1), dt.date(9999, 12, 31), dt.date.min,
])
def test_the_calendar_s_first_and_last_day_are_out_of_range(moment: dt.date) -> None:
    assert not in_range(moment)


@pytest.mark.parametrize("moment", [
    FIRST_DAY, LAST_DAY, dt.datetime(1, 1, 2, 14, tzinfo=PLUS_14), dt.datetime(9999, 12, 30, 9, tzinfo=MINUS_14),
    dt.datetime(2026, 6, 16, 14, tzinfo=dt.UTC),
])
def test_one_day_inside_the_edge_is_in_range_and_every_offset_of_it_can_be_taken(moment: dt.date) -> None:
    assert in_range(moment)
    if isinstance(moment, dt.datetime):
        for zone in (PLUS_14, MINUS_14, dt.UTC):
            moment.astimezone(zone)  # does not raise


def test_require_in_range_refuses_with_the_stable_code() -> None:
    with pytest.raises(Unprocessable) as refused:
        require_in_range(dt.datetime(1, 1, 1, tzinfo=PLUS_14), location="/start")
    assert (refused.value.code, refused.value.http_status) == ("DATE_OUT_OF_RANGE", 422)


@pytest.mark.parametrize("text", ["2026", "2026-01", "2026-01-31", "2026-01-31T10:00", "2026-01-31T10:00:00Z",
                                  "2026-01-31T10:00:00.123+14:00", "2026-01-31T10:00:00-03:30"])
def test_fhir_dates_are_recognised(text: str) -> None:
    assert is_fhir_date(text)


@pytest.mark.parametrize("text", ["２０２６", "2026-W01", "20260101", "2026-001", "2026-1-1", "2026-13",
                                  "2026-01-01T10", "2026-01-01T10:00:00+15:00", "+2026", "2026-01-01 10:00", ""])
def test_other_spellings_are_not_fhir_dates(text: str) -> None:
    assert not is_fhir_date(text)


def test_an_iso_day_is_ten_ascii_characters() -> None:
    assert is_iso_day("2026-01-01")
    assert not any(is_iso_day(text) for text in ("20260101", "2026-W01-1", "２０２６-01-01"))
