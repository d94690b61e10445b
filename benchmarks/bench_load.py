"""Sustained load: C concurrent clients push distinct bookings to the real gateway for S seconds.

    python benchmarks/bench_load.py [--quick] [--seconds 60] [--clients 50] [--database-url URL] [--json FILE]

The gateway runs as ``nordgate serve`` does in production (a subprocess, uvicorn, 127.0.0.1, a free
port), on a fresh SQLite file by default or on ``--database-url`` (PostgreSQL: the schema is brought
to this build's revision first, as ``nordgate db upgrade`` does). With authentication in the build,
the gateway is given one API-key client made up for this run and every request carries its key.

Reported: requests, errors (expected: none; samples are printed), throughput, p50/p90/p99/max
latency, throughput per 10 s window, the server's CPU, and its memory: resident set size sampled
every second, from the end of the warm-up to the end of the run (start, max, end, growth, slope).
Afterwards the number of stored Appointments must equal the number of acknowledged pushes.

Each client is an ``httpx.AsyncClient`` with one keep-alive connection (see bench_bookings.py: a
shared pooled client spends its CPU scanning the pool). Everything is bounded in time, the server
is always stopped, and the exit status is 0 whether or not the figures look good (2 only when the
run could not happen at all).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import logging
import os
import platform
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
if str(REPO) not in sys.path:  # benchmark this checkout's gateway, whatever is installed
    sys.path.insert(0, str(REPO))

import httpx  # noqa: E402
from benchmarks._messages import make_booking  # noqa: E402
from benchmarks.bench_bookings import (  # noqa: E402 - after the path is set; also marks sniffio absent
    _load_average,
    _terminate,
    _wait_listening,
    cpu_seconds,
    free_port,
    percentile,
    self_cpu_seconds,
)

SOURCE = "pas"
FLAT_GROWTH = 0.10  # memory counts as flat when the end is within 10% (or 16 MiB) of the start
FLAT_SLACK_BYTES = 16 * 1024 * 1024


# --------------------------------------------------------------------------------- the server


def auth_setup() -> tuple[dict[str, str], dict[str, str]]:
    """(server environment, request headers) for an API-key client of this run, when the build has
    authentication; ({}, {}) otherwise."""
    try:
        from gateway.config.settings import Settings  # noqa: PLC0415
        from gateway.domain.access import ALL_SCOPES  # noqa: PLC0415
    except ImportError:
        return {}, {}
    if "api_keys" not in Settings.model_fields:
        return {}, {}
    key = "ngk_bench_" + secrets.token_hex(24)
    entry = {"client_id": "bench-load", "key_sha256": hashlib.sha256(key.encode()).hexdigest(),
             "scopes": sorted(ALL_SCOPES), "tenants": ["*"]}
    return {"NORDGATE_API_KEYS": json.dumps([entry])}, {"Authorization": f"Bearer {key}"}


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-c", "from gateway.cli import main; main()", *args]


def _child_env(extra: dict[str, str]) -> dict[str, str]:
    path = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path, **extra}


@contextlib.contextmanager
def gateway(database_url: str, env: dict[str, str], log_path: Path,
            start_timeout: float = 60.0) -> Iterator[tuple[str, int]]:
    """``nordgate serve`` on a free 127.0.0.1 port; always stopped (SIGTERM, then SIGKILL)."""
    for _attempt in range(3):  # the port could be taken between probing and binding
        port = free_port()
        child_env = _child_env({**env, "NORDGATE_DATABASE_URL": database_url, "NORDGATE_HOST": "127.0.0.1",
                                "NORDGATE_PORT": str(port)})
        with log_path.open("wb") as log:
            proc = subprocess.Popen(_cli("serve"), cwd=log_path.parent, env=child_env, stdout=log,
                                    stderr=subprocess.STDOUT)
        try:
            if _wait_listening(proc, port, start_timeout):
                yield f"http://127.0.0.1:{port}", proc.pid
                return
        finally:
            _stop(proc)
        error = log_path.read_text(errors="replace")[-2000:]
        if "address already in use" not in error.lower():
            raise RuntimeError(f"the gateway did not start:\n{error}")
    raise RuntimeError("the gateway did not start: no free port after 3 attempts")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def upgrade_schema(database_url: str) -> None:
    subprocess.run(_cli("db", "upgrade", "--database-url", database_url), check=True, env=_child_env({}),
                   stdout=subprocess.DEVNULL, timeout=120)


def rss_bytes(pid: int) -> int:
    """Resident set size of a process (Linux /proc); 0 where unavailable."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


class RssSampler:
    """RSS of ``pid`` every ``every_s`` seconds in a thread: (seconds since start, bytes)."""

    def __init__(self, pid: int, every_s: float = 1.0) -> None:
        self._pid = pid
        self._every_s = every_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)
        self.samples: list[tuple[float, int]] = []

    def __enter__(self) -> RssSampler:
        self._started = time.monotonic()
        self.samples.append((0.0, rss_bytes(self._pid)))
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.samples.append((time.monotonic() - self._started, rss_bytes(self._pid)))

    def _run(self) -> None:
        while not self._stop.wait(self._every_s):
            self.samples.append((time.monotonic() - self._started, rss_bytes(self._pid)))


# ---------------------------------------------------------------------------------- the load


@dataclass
class Load:
    ok: int = 0
    errors: int = 0
    error_kinds: dict[str, int] = field(default_factory=dict)
    error_samples: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    done_at: list[float] = field(default_factory=list)  # seconds since the start, per acknowledged push
    elapsed: float = 0.0

    def error(self, kind: str, sample: str) -> None:
        self.errors += 1
        self.error_kinds[kind] = self.error_kinds.get(kind, 0) + 1
        if len(self.error_samples) < 5:
            self.error_samples.append(sample)


async def drive(base: str, headers: dict[str, str], *, clients: int, seconds: float, prefix: str,
                first_index: int) -> tuple[Load, int]:
    """``clients`` workers POST distinct MakeBookings back to back until ``seconds`` have passed.
    Returns the figures and the next unused message index."""
    load = Load()
    next_index = first_index
    request_headers = {"Content-Type": "application/xml", "X-Nordgate-Source": SOURCE, **headers}
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal next_index
        while time.perf_counter() < deadline:
            index = next_index
            next_index += 1
            body = make_booking(index, prefix=prefix)
            sent_at = time.perf_counter()
            try:
                response = await client.post("/bookings", content=body, headers=request_headers)
            except httpx.HTTPError as exc:
                load.error(type(exc).__name__, f"{type(exc).__name__}: {exc}")
                continue
            finished = time.perf_counter()
            load.latencies.append(finished - sent_at)
            if response.status_code == 200:
                load.ok += 1
                load.done_at.append(finished - started)
            else:
                load.error(f"HTTP {response.status_code}", f"{response.status_code}: {response.text[:300]}")

    async with contextlib.AsyncExitStack() as stack:
        pool = [await stack.enter_async_context(httpx.AsyncClient(base_url=base, limits=limits, timeout=60.0,
                                                                   verify=False)) for _ in range(clients)]
        started = time.perf_counter()
        deadline = started + seconds
        await asyncio.wait_for(asyncio.gather(*(worker(client) for client in pool)), timeout=seconds + 120)
        load.elapsed = time.perf_counter() - started
    return load, next_index


def stored_appointments(base: str, headers: dict[str, str]) -> int:
    response = httpx.get(f"{base}/fhir/Appointment", params={"_count": "1"}, headers=headers, timeout=120.0)
    response.raise_for_status()
    return int(response.json()["total"])


# ----------------------------------------------------------------------------------- figures


def memory_figures(samples: list[tuple[float, int]]) -> dict[str, Any]:
    values = [value for _, value in samples if value]
    if not values:
        return {"samples": 0}
    start, end, peak = values[0], values[-1], max(values)
    # Least-squares slope over the run, in MiB per minute: a leak shows as a steady climb.
    times = [moment for moment, value in samples if value]
    mean_t, mean_v = sum(times) / len(times), sum(values) / len(values)
    spread = sum((t - mean_t) ** 2 for t in times)
    slope = sum((t - mean_t) * (v - mean_v) for t, v in zip(times, values, strict=True)) / spread if spread else 0.0
    flat = end - start <= max(FLAT_GROWTH * start, FLAT_SLACK_BYTES)
    return {"samples": len(values), "start_bytes": start, "max_bytes": peak, "end_bytes": end,
            "min_bytes": min(values), "growth_bytes": end - start, "slope_mib_per_min": slope * 60 / 2**20,
            "flat": flat, "series": [[round(t, 1), v] for t, v in samples]}


def windows(done_at: list[float], elapsed: float, width: float = 10.0) -> list[float]:
    """Acknowledged pushes per second in each ``width``-second window of the run."""
    count = max(1, int(elapsed // width) + (1 if elapsed % width > 1.0 else 0))
    buckets = [0] * count
    for moment in done_at:
        buckets[min(count - 1, int(moment // width))] += 1
    spans = [min(width, elapsed - n * width) for n in range(count)]
    return [bucket / span if span > 0 else 0.0 for bucket, span in zip(buckets, spans, strict=True)]


def run(args: argparse.Namespace) -> dict[str, Any]:
    auth_env, headers = auth_setup()
    prefix = f"LOAD{int(time.time())}"  # a run of its own: nothing is a replay of an earlier run's push
    report: dict[str, Any] = {"clients": args.clients, "seconds": args.seconds, "warmup_seconds": args.warmup,
                              "authenticated": bool(headers)}
    with tempfile.TemporaryDirectory(prefix="nordgate-load-", dir=args.db_dir) as tmp:
        database_url = args.database_url or f"sqlite:///{Path(tmp) / 'load.db'}"
        if args.database_url:
            upgrade_schema(database_url)
        report["database"] = "PostgreSQL" if database_url.startswith("postgres") else "SQLite (WAL, synchronous=FULL)"
        with gateway(database_url, auth_env, Path(tmp) / "gateway.log") as (base, pid):
            stored_before = stored_appointments(base, headers)
            warm, index = asyncio.run(drive(base, headers, clients=args.clients, seconds=args.warmup, prefix=prefix,
                                            first_index=0))
            server_cpu, client_cpu = cpu_seconds(pid), self_cpu_seconds()
            with RssSampler(pid) as sampler:
                load, _ = asyncio.run(drive(base, headers, clients=args.clients, seconds=args.seconds, prefix=prefix,
                                            first_index=index))
            server_cpu, client_cpu = cpu_seconds(pid) - server_cpu, self_cpu_seconds() - client_cpu
            stored = stored_appointments(base, headers) - stored_before
            log_bytes = (Path(tmp) / "gateway.log").stat().st_size
    acknowledged = warm.ok + load.ok
    requests = load.ok + load.errors
    report |= {
        "requests": requests, "ok": load.ok, "errors": load.errors, "error_kinds": load.error_kinds,
        "error_samples": load.error_samples, "warmup_ok": warm.ok, "warmup_errors": warm.errors,
        "elapsed_s": load.elapsed, "requests_per_s": load.ok / load.elapsed if load.elapsed else 0.0,
        "p50_ms": percentile(load.latencies, 0.50) * 1e3, "p90_ms": percentile(load.latencies, 0.90) * 1e3,
        "p99_ms": percentile(load.latencies, 0.99) * 1e3,
        "max_ms": max(load.latencies, default=float("nan")) * 1e3,
        "per_10s_window": windows(load.done_at, load.elapsed),
        "server_cpu_share": server_cpu / load.elapsed if load.elapsed else 0.0,
        "client_cpu_share": client_cpu / load.elapsed if load.elapsed else 0.0,
        "server_cpu_ms_per_request": server_cpu / max(requests, 1) * 1e3,
        "memory": memory_figures(sampler.samples),
        "acknowledged": acknowledged, "stored_appointments": stored, "stored_matches": stored == acknowledged,
        "gateway_log_bytes": log_bytes,
    }
    return report


def _mib(value: int) -> str:
    return f"{value / 2**20:,.1f} MiB"


def print_report(report: dict[str, Any]) -> None:
    memory = report["memory"]
    print(f"\n== {report['clients']} clients x {report['seconds']:.0f} s (after {report['warmup_seconds']:.0f} s "
          f"warm-up), {report['database']}, {'authenticated' if report['authenticated'] else 'no authentication'} ==")
    rows = [
        ("requests (measured)", f"{report['requests']:,}"),
        ("acknowledged (200)", f"{report['ok']:,}"),
        ("errors", f"{report['errors']}" + (f"  {report['error_kinds']}" if report["errors"] else "")),
        ("throughput", f"{report['requests_per_s']:,.0f} req/s"),
        ("latency p50 / p90 / p99 / max", f"{report['p50_ms']:.0f} / {report['p90_ms']:.0f} / "
                                          f"{report['p99_ms']:.0f} / {report['max_ms']:.0f} ms"),
        ("req/s per 10 s window", " ".join(f"{rate:.0f}" for rate in report["per_10s_window"])),
        ("server CPU (share of a core)", f"{report['server_cpu_share']:.0%}, "
                                         f"{report['server_cpu_ms_per_request']:.2f} ms/request"),
        ("client CPU (share of a core)", f"{report['client_cpu_share']:.0%}"),
    ]
    if memory.get("samples"):
        rows += [
            ("server RSS start / max / end", f"{_mib(memory['start_bytes'])} / {_mib(memory['max_bytes'])} / "
                                             f"{_mib(memory['end_bytes'])}"),
            ("server RSS growth, slope", f"{memory['growth_bytes'] / 2**20:+.1f} MiB, "
                                         f"{memory['slope_mib_per_min']:+.2f} MiB/min ({memory['samples']} samples)"),
            ("memory", "flat" if memory["flat"] else "GREW (more than 10% / 16 MiB from start to end)"),
        ]
    verdict = "match" if report["stored_matches"] else "MISMATCH"
    rows.append(("stored == acknowledged", f"{report['stored_appointments']:,} vs {report['acknowledged']:,} "
                                           f"(warm-up + measured): {verdict}"))
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"{label:<{width}}  {value}")
    for sample in report["error_samples"]:
        print(f"  error: {sample}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="10 s after a 2 s warm-up")
    parser.add_argument("--seconds", type=float, help="measured seconds (default 60, quick 10)")
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients, one connection each (50)")
    parser.add_argument("--warmup", type=float, help="warm-up seconds before measuring (default 5, quick 2)")
    parser.add_argument("--database-url", help="PostgreSQL URL (default: a fresh SQLite file in a temporary folder)")
    parser.add_argument("--db-dir", help="folder for the temporary SQLite file and the gateway log")
    parser.add_argument("--json", metavar="FILE", help="write all figures (with the RSS series) to FILE")
    args = parser.parse_args(argv)
    args.seconds = args.seconds or (10.0 if args.quick else 60.0)
    args.warmup = args.warmup if args.warmup is not None else (2.0 if args.quick else 5.0)
    print(f"nordgate load benchmark: Python {platform.python_version()}, {os.cpu_count()} cores, "
          f"1-min load average {_load_average():.2f}")
    try:
        report = run(args)
    except Exception as exc:  # the run could not happen: say why
        print(f"COULD NOT RUN: {type(exc).__name__}: {exc}")
        return 2
    report["load_average_after"] = _load_average()
    print_report(report)
    print(f"1-min load average after: {report['load_average_after']:.2f} (other work on the machine skews "
          "every figure; the client shares the cores with the server)")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
        print(f"figures written to {args.json}")
    return 0


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGINT, _terminate)
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        logging.getLogger("asyncio").setLevel(logging.CRITICAL)
        print("\ninterrupted; server stopped", file=sys.stderr)
        sys.exit(130)
