"""Swedish local times without offset: DST gap refused, overlap resolved to the first occurrence."""

from __future__ import annotations

import datetime as dt

import pytest

from adapters.inbound.crm_scheduling.times import is_ambiguous, parse_ts
from gateway.primitives.errors import Unprocessable


@pytest.mark.parametrize("text,iso", [
    ("20261201093000", "2026-12-01T09:30:00+01:00"),  # winter: CET
    ("20260615093000", "2026-06-15T09:30:00+02:00"),  # summer: CEST
    ("20260329015959", "2026-03-29T01:59:59+01:00"),  # just before the gap
    ("20260329030000", "2026-03-29T03:00:00+02:00"),  # just after the gap
    ("20261025023000", "2026-10-25T02:30:00+02:00"),  # overlap: first occurrence (summer time)
    ("20261025030000", "2026-10-25T03:00:00+01:00"),  # after the overlap
])
def test_local_times_get_the_stockholm_offset(text: str, iso: str) -> None:
    assert parse_ts(text, location="/x").isoformat() == iso


@pytest.mark.parametrize("text", ["20260329020000", "20260329023000", "20260329025959", "20270328021500"])
def test_a_time_in_the_spring_forward_gap_is_refused(text: str) -> None:
    with pytest.raises(Unprocessable) as caught:
        parse_ts(text, location="/MakeBooking/requestedTimeslot/startTimeInclusive")
    assert caught.value.code == "TIME_NONEXISTENT"
    assert caught.value.location == "/MakeBooking/requestedTimeslot/startTimeInclusive"


def test_the_overlap_resolves_to_the_earlier_instant() -> None:
    first = parse_ts("20261025023000", location="/x")
    assert is_ambiguous(first.replace(tzinfo=None))
    later = first.replace(fold=1)
    assert first.astimezone(dt.UTC) < later.astimezone(dt.UTC)
    assert first.astimezone(dt.UTC).isoformat() == "2026-10-25T00:30:00+00:00"


@pytest.mark.parametrize("text", ["2026120109300", "20261301093000", "20260230093000", "2026-12-01T09:30", "x" * 14])
def test_malformed_time_stamps_are_refused(text: str) -> None:
    with pytest.raises(Unprocessable) as caught:
        parse_ts(text, location="/x")
    assert caught.value.code == "TIME_MALFORMED"
