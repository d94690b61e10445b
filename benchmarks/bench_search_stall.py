"""Can readers stall the writers? Pushes' p99 while 8 clients search in a loop, beside the unloaded p99.

    python benchmarks/bench_search_stall.py [--quick] [--seconds 20] [--seed 2000] [--database-url URL] [--json FILE]

Issue 13, point 1: ``GET /fhir/Appointment?identifier=x&identifier=x&…`` (300 repeats) ran over 60 s
on PostgreSQL, kept running after its client had gone, and eight of them made every push time out.
The gateway now refuses such a search before the store (400 ``SEARCH_TOO_COMPLEX``), bounds every
search with a statement timeout (PostgreSQL) or a progress-handler deadline (SQLite), and cancels
the query when its client hangs up.

The run: the real gateway (``nordgate serve``, a subprocess on 127.0.0.1, SQLite by default or
``--database-url``), seeded with ``--seed`` Appointments; then three phases of ``--seconds`` each,
one pushing client (distinct MakeBookings back to back, one keep-alive connection) in all three:

1. **unloaded**: the pusher alone;
2. **300-repeat**: plus 8 clients sending the issue's 300-repeat identifier search in a loop;
3. **at the bounds**: plus 8 clients sending the largest search still accepted (10 repeats of
   ``identifier`` with 10 values each, 100 values: MAX_REPEATS and MAX_VALUES) in a loop, which
   does reach the database;
4. **control healthz**: plus 8 clients looping ``GET /healthz`` (no store, no audit): what 8 busy
   clients cost a one-process gateway's pusher on this machine whatever they ask.

Printed: the pusher's p50/p99 per phase beside the unloaded p99, the ratio, whether it is within
2x, and the searchers' answers by status. Exit status 0 whether or not the figures look good (2
when the run could not happen).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
if str(REPO) not in sys.path:  # benchmark this checkout's gateway, whatever is installed
    sys.path.insert(0, str(REPO))

import httpx  # noqa: E402
from benchmarks._messages import make_booking  # noqa: E402
from benchmarks.bench_bookings import percentile  # noqa: E402
from benchmarks.bench_load import SOURCE, auth_setup, gateway, upgrade_schema  # noqa: E402

SEARCHERS = 8
WITHIN = 2.0  # the acceptance: loaded p99 within 2x the unloaded p99
_REPEATED = [("identifier", "x")] * 300
_CONTROL: list[tuple[str, str]] = []  # the control phase: 8 clients loop GET /healthz (no store, no audit)
_AT_BOUNDS = [("identifier", ",".join(f"x{r}-{n}" for n in range(10))) for r in range(10)]


async def _seed(base: str, headers: dict[str, str], count: int, prefix: str) -> int:
    request_headers = {"Content-Type": "application/xml", "X-Nordgate-Source": SOURCE, **headers}
    queue = list(range(count))
    ok = 0

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal ok
        while queue:
            index = queue.pop()
            response = await client.post("/bookings", content=make_booking(index, prefix=prefix),
                                         headers=request_headers)
            ok += response.status_code == 200

    async with contextlib.AsyncExitStack() as stack:
        clients = [await stack.enter_async_context(httpx.AsyncClient(base_url=base, timeout=60.0))
                   for _ in range(4)]
        await asyncio.wait_for(asyncio.gather(*(worker(client) for client in clients)), timeout=900)
    return ok


async def _phase(base: str, headers: dict[str, str], *, seconds: float, prefix: str, first: int,
                 search: list[tuple[str, str]] | None) -> dict[str, Any]:
    """One pusher for ``seconds``; with ``search``, 8 clients send it in a loop meanwhile."""
    push_headers = {"Content-Type": "application/xml", "X-Nordgate-Source": SOURCE, **headers}
    latencies: list[float] = []
    push_errors: dict[str, int] = {}
    searches: dict[str, int] = {}
    search_latencies: list[float] = []
    # The query string encoded once, as a hostile client would send the same bytes again and again:
    # the client's CPU (it shares the machine with the gateway) goes to sending, not to encoding.
    target = "/healthz" if search is _CONTROL else f"/fhir/Appointment?{urlencode(search or [])}"
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)

    async def pusher(client: httpx.AsyncClient) -> None:
        index = first
        while time.perf_counter() < deadline:
            sent = time.perf_counter()
            try:
                response = await client.post("/bookings", content=make_booking(index, prefix=prefix),
                                             headers=push_headers)
                status = str(response.status_code)
            except httpx.HTTPError as exc:
                status = type(exc).__name__
            latencies.append(time.perf_counter() - sent)
            if status != "200":
                push_errors[status] = push_errors.get(status, 0) + 1
            index += 1

    async def searcher(client: httpx.AsyncClient) -> None:
        assert search is not None
        while time.perf_counter() < deadline:
            sent = time.perf_counter()
            try:
                response = await client.get(target, headers=headers)
                status = str(response.status_code)
            except httpx.HTTPError as exc:
                status = type(exc).__name__
            search_latencies.append(time.perf_counter() - sent)
            searches[status] = searches.get(status, 0) + 1

    async with contextlib.AsyncExitStack() as stack:
        def client() -> httpx.AsyncClient:
            return httpx.AsyncClient(base_url=base, limits=limits, timeout=120.0)

        push_client = await stack.enter_async_context(client())
        search_clients = [await stack.enter_async_context(client())
                          for _ in range(SEARCHERS if search is not None else 0)]
        deadline = time.perf_counter() + seconds
        await asyncio.wait_for(asyncio.gather(pusher(push_client), *(searcher(c) for c in search_clients)),
                               timeout=seconds + 180)
    return {"pushes": len(latencies), "push_errors": push_errors,
            "p50_ms": percentile(latencies, 0.50) * 1e3, "p99_ms": percentile(latencies, 0.99) * 1e3,
            "max_ms": max(latencies, default=float("nan")) * 1e3,
            "searches": searches, "search_p50_ms": percentile(search_latencies, 0.50) * 1e3 if search_latencies
            else None, "search_p99_ms": percentile(search_latencies, 0.99) * 1e3 if search_latencies else None,
            "next_index": first + len(latencies)}


def run(args: argparse.Namespace) -> dict[str, Any]:
    auth_env, headers = auth_setup()
    prefix = f"STALL{int(time.time())}"
    report: dict[str, Any] = {"seconds": args.seconds, "seed": args.seed, "searchers": SEARCHERS}
    with tempfile.TemporaryDirectory(prefix="nordgate-stall-") as tmp:
        database_url = args.database_url or f"sqlite:///{Path(tmp) / 'stall.db'}"
        if args.database_url:
            upgrade_schema(database_url)
        report["database"] = "PostgreSQL" if database_url.startswith("postgres") else "SQLite"
        with gateway(database_url, auth_env, Path(tmp) / "gateway.log") as (base, _pid):
            report["seeded"] = asyncio.run(_seed(base, headers, args.seed, prefix + "S"))
            index = 0
            phases: dict[str, Any] = {}
            for name, search in (("unloaded", None), ("300-repeat", _REPEATED), ("at the bounds", _AT_BOUNDS),
                                 ("control healthz", _CONTROL)):
                phases[name] = asyncio.run(_phase(base, headers, seconds=args.seconds, prefix=prefix, first=index,
                                                  search=search))
                index = phases[name]["next_index"]
    report["phases"] = phases
    unloaded = phases["unloaded"]["p99_ms"]
    for figures in phases.values():
        figures["ratio_to_unloaded_p99"] = figures["p99_ms"] / unloaded if unloaded else float("nan")
        figures["within_2x"] = figures["ratio_to_unloaded_p99"] <= WITHIN
    return report


def print_report(report: dict[str, Any]) -> None:
    print(f"\nSearch stall: {report['database']}, {report['seeded']} Appointments seeded, "
          f"{report['searchers']} searching clients, {report['seconds']:g} s per phase")
    print(f"{'phase':<15}{'pushes':>8}{'push p50':>10}{'push p99':>10}{'unloaded p99':>14}{'ratio':>7}"
          f"{'  <=2x':<7}{'search p99':>11}  searches by status")
    unloaded = report["phases"]["unloaded"]["p99_ms"]
    for name, f in report["phases"].items():
        search_p99 = f"{f['search_p99_ms']:.1f} ms" if f["search_p99_ms"] is not None else "-"
        print(f"{name:<15}{f['pushes']:>8}{f['p50_ms']:>8.1f}ms{f['p99_ms']:>8.1f}ms{unloaded:>12.1f}ms"
              f"{f['ratio_to_unloaded_p99']:>7.2f}  {'yes' if f['within_2x'] else 'NO':<5}{search_p99:>11}  "
              f"{f['searches'] or '-'}" + (f"  push errors {f['push_errors']}" if f["push_errors"] else ""))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="5 s phases, 300 Appointments: a smoke run")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--seed", type=int, default=2000, help="Appointments stored before the phases")
    parser.add_argument("--database-url", help="PostgreSQL URL (its schema is upgraded first); default: SQLite")
    parser.add_argument("--json", type=Path, help="write the figures here as JSON too")
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds, args.seed = 5.0, 300
    try:
        report = run(args)
    except (RuntimeError, OSError, httpx.HTTPError) as exc:
        print(f"the run could not happen: {exc}", file=sys.stderr)
        return 2
    print_report(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
