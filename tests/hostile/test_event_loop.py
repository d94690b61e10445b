"""A push is parsed off the event loop (issue 13, point 2): while a 4 MB MakeBooking with a million
empty children is read, ``/healthz`` keeps answering.

Before, ``POST /bookings`` parsed on the event loop and every request, ``/healthz`` included, waited
for the parse (over a second here). The bound below is generous (shared CI machines); the figures
under load are benchmarks/bench_parse_stall.py's.
"""

from __future__ import annotations

import threading
import time
import tracemalloc

import httpx
import pytest

from adapters.inbound.crm_scheduling.elements import Children, text
from gateway.primitives.errors import Unprocessable
from tests.auth_helpers import DEFAULT_CLIENT
from tests.gateway.api.conftest import live_url, settings

from .strategies import SAMPLES

__all__ = ["live_url", "settings"]

MAKE_BOOKING = (SAMPLES / "crm-scheduling" / "02-make-booking-bare-default-namespace.xml").read_bytes()
#: A stall of /healthz longer than this while the push is parsed fails the test.
STALL_S = 0.5


def million_empty_children() -> bytes:
    return MAKE_BOOKING.replace(b"<requestedTimeslot>", b"<requestedTimeslot>" + b"<x/>" * 1_000_000, 1)


def test_healthz_answers_while_a_4_mb_push_is_parsed(live_url: str) -> None:
    body = million_empty_children()
    assert len(body) > 4_000_000
    done = threading.Event()
    answers: list[int] = []

    def push() -> None:
        with httpx.Client(timeout=60) as pusher:
            answers.append(pusher.post(f"{live_url}/bookings", content=body, headers={
                **DEFAULT_CLIENT.headers, "Content-Type": "application/xml"}).status_code)
        done.set()

    with httpx.Client(timeout=30) as probe:
        probe.get(f"{live_url}/healthz")  # connected and warm before the push starts
        thread = threading.Thread(target=push)
        thread.start()
        latencies: list[float] = []
        deadline = time.monotonic() + 60
        while not done.is_set() and time.monotonic() < deadline:
            started = time.monotonic()
            assert probe.get(f"{live_url}/healthz").status_code == 200
            latencies.append(time.monotonic() - started)
            time.sleep(0.01)
        thread.join(timeout=60)
    assert answers and answers[0] < 500
    assert len(latencies) >= 3, "the push finished before /healthz was asked: no measurement"
    assert max(latencies) < STALL_S, f"/healthz stalled {max(latencies):.2f} s while the push was parsed"


def test_reading_one_child_of_a_parent_of_a_million_makes_no_object_per_child() -> None:
    """Before, the child index made a Python proxy for each of a million children (over 50 MB and
    seconds with the GIL held) even to read one field; a large parent is now looked up by name in
    lxml's own scan, and answers as a small one does (repeated names still refused)."""
    from lxml import etree  # noqa: PLC0415 - local: only this test builds a tree by hand

    parent = etree.fromstring(b"<p xmlns='urn:a'>" + b"<x/>" * 1_000_000 + b"<q:y xmlns:q='urn:b'> 1 </q:y></p>")
    tracemalloc.start()
    try:
        index = Children(parent)
        assert text(index, "y", path="/p") == "1"
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 5_000_000, f"{peak:,} bytes allocated to read one child"
    with pytest.raises(Unprocessable) as refused:
        text(index, "x", path="/p")
    assert refused.value.code == "ELEMENT_REPEATED"
