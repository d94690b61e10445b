"""Does a big push stall the gateway? ``/healthz`` latency while large bodies are parsed (issue 13).

The real gateway is started by ``_serve.py`` on a free 127.0.0.1 port. One client probes ``/healthz``
every 20 ms; first for a few seconds with nothing else going on (the **unloaded** floor), then while
a second client pushes, one after another, MakeBookings of about 4 MB and 5 MB holding a million (or
1.25 million) empty child elements: the worst case for the parser and the crm:scheduling child index
(two valid bookings with the extra children in requestedTimeslot, answered 200; one with nothing
else, answered 422).
Each push's own time is printed too (it is answered; its status is shown).

    python benchmarks/bench_parse_stall.py                 # 6 large pushes, ~1 min
    python benchmarks/bench_parse_stall.py --pushes 2      # smoke

Goal: ``/healthz`` p99 under 100 ms while the bodies are parsed. Exits 0 whether or not the goal is
met (a benchmark reports); 2 when the server does not start.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
if str(REPO) not in sys.path:  # benchmark this checkout's gateway, whatever is installed
    sys.path.insert(0, str(REPO))

from benchmarks._serve import AUTH_HEADERS  # noqa: E402
from benchmarks.bench_bookings import server  # noqa: E402

SAMPLE = REPO / "samples" / "crm-scheduling" / "02-make-booking-bare-default-namespace.xml"
#: The issue's case: a million empty children and nothing else, answered 422 ELEMENT_MISSING.
REFUSED_PREFIX = b'<MakeBooking xmlns="urn:riv:crm:scheduling:MakeBookingResponder:1">'
GOAL_P99_S = 0.100
PROBE_EVERY_S = 0.020


def empty_children(count: int) -> bytes:
    """A valid MakeBooking whose requestedTimeslot also holds ``count`` empty elements."""
    return SAMPLE.read_bytes().replace(b"<requestedTimeslot>", b"<requestedTimeslot>" + b"<x/>" * count, 1)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def probe(url: str, stop: threading.Event, latencies: list[float]) -> None:
    with httpx.Client(timeout=60) as client:
        while not stop.is_set():
            started = time.perf_counter()
            client.get(f"{url}/healthz").raise_for_status()
            latencies.append(time.perf_counter() - started)
            time.sleep(PROBE_EVERY_S)


def line(name: str, values: list[float]) -> str:
    if not values:
        return f"{name:<34} no samples"
    return (f"{name:<34} n={len(values):>5}  p50={statistics.median(values) * 1000:7.1f} ms  "
            f"p99={percentile(values, 0.99) * 1000:7.1f} ms  max={max(values) * 1000:7.1f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pushes", type=int, default=6, help="large pushes (in turn: 4 MB, 5 MB, 4 MB refused)")
    parser.add_argument("--floor-seconds", type=float, default=3.0, help="unloaded /healthz probing")
    args = parser.parse_args()
    bodies = {"4 MB (1,000,000 children)": empty_children(1_000_000),
              "5 MB (1,250,000 children)": empty_children(1_250_000),
              "4 MB refused (no timeslot)": REFUSED_PREFIX + b"<x/>" * 1_000_000 + b"</MakeBooking>"}
    with tempfile.TemporaryDirectory() as tmp:
        try:
            context = server("gateway", db=Path(tmp) / "bench.db")
            url, _pid = context.__enter__()
        except RuntimeError as exc:
            print(f"cannot run: {exc}")
            return 2
        try:
            httpx.get(f"{url}/healthz", timeout=30).raise_for_status()
            unloaded: list[float] = []
            stop = threading.Event()
            prober = threading.Thread(target=probe, args=(url, stop, unloaded))
            prober.start()
            time.sleep(args.floor_seconds)
            stop.set()
            prober.join()

            loaded: list[float] = []
            stop = threading.Event()
            prober = threading.Thread(target=probe, args=(url, stop, loaded))
            prober.start()
            pushes: list[str] = []
            headers = {**AUTH_HEADERS, "Content-Type": "application/xml"}
            with httpx.Client(timeout=120) as pusher:
                for index in range(args.pushes):
                    name, body = list(bodies.items())[index % len(bodies)]
                    started = time.perf_counter()
                    status = pusher.post(f"{url}/bookings", content=body, headers=headers).status_code
                    pushes.append(f"  push {index + 1}: {name}, {len(body):,} bytes -> {status} in "
                                  f"{time.perf_counter() - started:.2f} s")
            stop.set()
            prober.join()
        finally:
            context.__exit__(None, None, None)
    print("\n".join(pushes))
    print(line("/healthz unloaded", unloaded))
    print(line("/healthz while large pushes parse", loaded))
    p99 = percentile(loaded, 0.99)
    print(f"goal: /healthz p99 < {GOAL_P99_S * 1000:.0f} ms while parsing: "
          f"{'met' if p99 < GOAL_P99_S else 'NOT met'} ({p99 * 1000:.1f} ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
