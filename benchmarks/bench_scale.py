"""Scaling out: HTTP booking ingest on one and on three gateway processes sharing PostgreSQL.

    python benchmarks/bench_scale.py [--quick] [--json FILE] [--database-url postgresql://…]

In ONE run, with the same client and the same kind of messages (distinct MakeBookings, no replay):

1. floor: the bare FastAPI endpoint (``_serve.py bare``), one process;
2. SQLite, one gateway process (``nordgate serve``; SQLite allows one writing process);
3. PostgreSQL, one gateway process;
4. PostgreSQL, N gateway processes (default 3) on the same schema, the client's workers spread
   round-robin over them (worker i talks to process i mod N), as a load balancer would.

Printed per row: requests/s, p50/p99 latency, errors, server and client CPU; then the scaling factor
(N processes / 1 process on PostgreSQL) and each row against the floor. After every gateway row the
stored Appointments must equal the acknowledged pushes.

Each PostgreSQL row gets a fresh schema (``nordgate_bench_…``, brought to this build's revision as
``nordgate db upgrade`` does, dropped at the end). Gateways run as in production (``nordgate
serve``, uvicorn, 127.0.0.1, a free port each) with ``NORDGATE_LOG_LEVEL=warning`` (no line per
request, as in bench_bookings.py); with authentication in the build each gets one API-key client
made up for this run. Everything is bounded by a count and a time cap, every server is stopped
(also on Ctrl-C / SIGTERM), and the exit status is 0 whatever the figures (a row that cannot run is
reported as such: e.g. no PostgreSQL reachable).

**Read the scaling factor with the machine in mind**: the client is Python and runs on the same
cores as the servers (2 on the machine this was written on) and the database. More processes can
only use cores that are free; on 2 cores the factor says how much of the single process's idle time
(GIL hand-offs, waiting for commits) the others fill, not what 3 servers on 3 machines would do.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import os
import platform
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
if str(REPO) not in sys.path:  # benchmark this checkout's gateway, whatever is installed
    sys.path.insert(0, str(REPO))

import httpx  # noqa: E402
from benchmarks._messages import make_bookings  # noqa: E402
from benchmarks.bench_bookings import (  # noqa: E402 - after the path is set; also marks sniffio absent
    LoadResult,
    cpu_seconds,
    free_port,
    percentile,
    self_cpu_seconds,
    server,
)

DEFAULT_DATABASE = "postgresql://postgres@127.0.0.1:5432/test"
SOURCE = "pas"
PUSH_HEADERS = {"Content-Type": "application/xml", "X-Nordgate-Source": SOURCE}


# ------------------------------------------------------------------------------------ servers


def auth_setup() -> tuple[dict[str, str], dict[str, str]]:
    """(server environment, request headers) of an API-key client made up for this run, when the
    build has authentication; ({}, {}) otherwise."""
    try:
        from gateway.config.settings import Settings  # noqa: PLC0415
        from gateway.domain.access import ALL_SCOPES  # noqa: PLC0415
    except ImportError:
        return {}, {}
    if "api_keys" not in Settings.model_fields:
        return {}, {}
    key = "ngk_bench_" + secrets.token_hex(24)
    entry = {"client_id": "bench-scale", "key_sha256": hashlib.sha256(key.encode()).hexdigest(),
             "scopes": sorted(ALL_SCOPES), "tenants": ["*"]}
    return {"NORDGATE_API_KEYS": json.dumps([entry])}, {"Authorization": f"Bearer {key}"}


@contextlib.contextmanager
def postgres_schema(server_url: str) -> Iterator[str]:
    """A fresh schema at this build's revision; its URL; dropped afterwards."""
    import psycopg  # noqa: PLC0415

    from gateway.primitives.database_url import parse_database_url  # noqa: PLC0415
    from gateway.store.migrate import upgrade  # noqa: PLC0415

    schema = f"nordgate_bench_{uuid.uuid4().hex[:12]}"
    conninfo = parse_database_url(server_url).conninfo
    with psycopg.connect(conninfo, autocommit=True, connect_timeout=5) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
    try:
        url = f"{server_url}{'&' if '?' in server_url else '?'}options=" + quote(f"-csearch_path={schema}", safe="")
        upgrade(parse_database_url(url))
        yield url
    finally:
        with psycopg.connect(conninfo, autocommit=True, connect_timeout=5) as connection:
            connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@contextlib.contextmanager
def gateways(count: int, database_url: str, auth_env: dict[str, str], folder: Path,
             start_timeout: float = 60.0) -> Iterator[list[tuple[str, int]]]:
    """``count`` ``nordgate serve`` processes on one database; [(base URL, pid)]; always stopped."""
    processes: list[tuple[subprocess.Popen[bytes], int]] = []
    try:
        for n in range(count):
            port = free_port()
            env = {**os.environ, **auth_env, "NORDGATE_DATABASE_URL": database_url, "NORDGATE_HOST": "127.0.0.1",
                   "NORDGATE_PORT": str(port), "NORDGATE_LOG_LEVEL": "warning",
                   "NORDGATE_DROP_DIR": str(folder / "drop"),
                   "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
            with (folder / f"gateway-{n}-{port}.log").open("wb") as log:
                processes.append((subprocess.Popen(
                    [sys.executable, "-c", "from gateway.cli import main; main()", "serve"],
                    cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT), port))
        deadline = time.monotonic() + start_timeout
        for process, port in processes:
            while True:
                if process.poll() is not None:
                    logs = "\n".join(p.read_text(errors="replace")[-1500:] for p in folder.glob("gateway-*.log"))
                    raise RuntimeError(f"a gateway exited with {process.returncode}:\n{logs}")
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1.0).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("the gateways did not become ready in time")
                time.sleep(0.1)
        yield [(f"http://127.0.0.1:{port}", process.pid) for process, port in processes]
    finally:
        for process, _ in processes:
            if process.poll() is None:
                process.terminate()  # SIGTERM: uvicorn shuts down, the gateway closes its pools
        for process, _ in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)


# ------------------------------------------------------------------------------------- client


async def drive(bases: Sequence[str], messages: Sequence[bytes], headers: dict[str, str], *, concurrency: int,
                time_cap: float) -> LoadResult:
    """POST every message once; worker i uses its own keep-alive connection to ``bases[i % n]``."""
    result = LoadResult()
    next_index = 0
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    request_headers = {**PUSH_HEADERS, **headers}

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal next_index
        while next_index < len(messages):
            if time.perf_counter() > deadline:
                result.capped = True
                return
            body = messages[next_index]
            next_index += 1
            result.sent += 1
            sent_at = time.perf_counter()
            try:
                response = await client.post("/bookings", content=body, headers=request_headers)
            except httpx.HTTPError as exc:
                result.errors += 1
                if len(result.error_samples) < 5:
                    result.error_samples.append(f"{type(exc).__name__}: {exc}")
                continue
            result.latencies.append(time.perf_counter() - sent_at)
            if response.status_code == 200:
                result.ok += 1
            else:
                result.errors += 1
                if len(result.error_samples) < 5:
                    result.error_samples.append(f"{response.status_code}: {response.text[:300]}")

    async with contextlib.AsyncExitStack() as stack:
        clients = [await stack.enter_async_context(httpx.AsyncClient(
            base_url=bases[n % len(bases)], limits=limits, timeout=httpx.Timeout(30.0), verify=False))
            for n in range(concurrency)]
        started = time.perf_counter()
        deadline = started + time_cap
        await asyncio.wait_for(asyncio.gather(*(worker(client) for client in clients)), timeout=time_cap + 60)
        result.elapsed = time.perf_counter() - started
    return result


def stored_appointments(base: str, headers: dict[str, str]) -> int:
    response = httpx.get(f"{base}/fhir/Appointment", params={"_count": "1"}, headers=headers, timeout=30.0)
    response.raise_for_status()
    return int(response.json()["total"])


def measure(label: str, servers: Sequence[tuple[str, int]], headers: dict[str, str], warmup: Sequence[bytes],
            measured: Sequence[bytes], concurrency: int, time_cap: float, *, gateway: bool) -> dict[str, Any]:
    bases = [base for base, _ in servers]
    warm = asyncio.run(drive(bases, warmup, headers, concurrency=concurrency, time_cap=time_cap))
    server_cpu, client_cpu = sum(cpu_seconds(pid) for _, pid in servers), self_cpu_seconds()
    load = asyncio.run(drive(bases, measured, headers, concurrency=concurrency, time_cap=time_cap))
    server_cpu = sum(cpu_seconds(pid) for _, pid in servers) - server_cpu
    client_cpu = self_cpu_seconds() - client_cpu
    row: dict[str, Any] = {
        "label": label, "processes": len(servers), "requests": load.sent, "ok": load.ok, "errors": load.errors,
        "error_samples": load.error_samples, "time_capped": load.capped, "elapsed_s": load.elapsed,
        "requests_per_s": load.ok / load.elapsed if load.elapsed else 0.0,
        "p50_ms": percentile(load.latencies, 0.50) * 1e3, "p99_ms": percentile(load.latencies, 0.99) * 1e3,
        "server_cpu_share": server_cpu / load.elapsed if load.elapsed else 0.0,
        "client_cpu_share": client_cpu / load.elapsed if load.elapsed else 0.0,
        "server_cpu_ms_per_request": server_cpu / max(load.sent, 1) * 1e3,
    }
    if gateway:
        acknowledged = warm.ok + load.ok
        stored = stored_appointments(bases[0], headers)
        row |= {"acknowledged": acknowledged, "stored": stored, "stored_matches": stored == acknowledged}
    return row


# ------------------------------------------------------------------------------------- the run


def run(args: argparse.Namespace) -> dict[str, Any]:
    requests = args.requests or (600 if args.quick else 3000)
    warmup_count = args.warmup or (60 if args.quick else 200)
    time_cap = args.time_cap or (20.0 if args.quick else 40.0)
    auth_env, headers = auth_setup()
    report: dict[str, Any] = {
        "mode": "quick" if args.quick else "full", "python": platform.python_version(), "cores": os.cpu_count(),
        "requests": requests, "warmup": warmup_count, "concurrency": args.concurrency, "time_cap_s": time_cap,
        "processes": args.processes, "authenticated": bool(headers), "rows": {}, "failed": [],
    }
    rows: dict[str, Any] = report["rows"]

    def messages(prefix: str) -> tuple[list[bytes], list[bytes]]:
        # Distinct prefixes per row: no row's push is a replay of another's, even on one database.
        return make_bookings(warmup_count, prefix=f"{prefix}W"), make_bookings(requests, prefix=prefix)

    def attempt(key: str, work: Any) -> None:
        try:
            rows[key] = work()
        except Exception as exc:  # report and go on: one row that cannot run must not hide the others
            report["failed"].append(f"{key}: {type(exc).__name__}: {str(exc)[:500]}")

    with tempfile.TemporaryDirectory(prefix="nordgate-scale-") as tmp:
        folder = Path(tmp)

        def bare() -> dict[str, Any]:
            warm, measured = messages("BARE")
            with server("bare") as (base, pid):
                return measure("bare endpoint (floor)", [(base, pid)], {}, warm, measured, args.concurrency,
                               time_cap, gateway=False)

        def sqlite() -> dict[str, Any]:
            warm, measured = messages("SQL")
            (folder / "sqlite").mkdir()
            with gateways(1, f"sqlite:///{folder / 'sqlite' / 'bench.db'}", auth_env, folder / "sqlite") as servers:
                return measure("SQLite, 1 process", servers, headers, warm, measured, args.concurrency, time_cap,
                               gateway=True)

        def postgres(count: int) -> dict[str, Any]:
            warm, measured = messages(f"PG{count}")
            sub = folder / f"pg{count}"
            sub.mkdir()
            with postgres_schema(args.database_url) as url, gateways(count, url, auth_env, sub) as servers:
                return measure(f"PostgreSQL, {count} process{'es' if count > 1 else ''}", servers, headers, warm,
                               measured, args.concurrency, time_cap, gateway=True)

        attempt("bare", bare)
        attempt("sqlite_1", sqlite)
        attempt("postgres_1", lambda: postgres(1))
        attempt(f"postgres_{args.processes}", lambda: postgres(args.processes))

    one, many = rows.get("postgres_1"), rows.get(f"postgres_{args.processes}")
    if one and many and one["requests_per_s"]:
        report["scaling_factor"] = many["requests_per_s"] / one["requests_per_s"]
    floor = rows.get("bare", {}).get("requests_per_s")
    if floor:
        for row in rows.values():
            row["ratio_to_floor"] = row["requests_per_s"] / floor
    return report


def print_report(report: dict[str, Any]) -> None:
    print(f"\n== HTTP ingest, {report['requests']} distinct MakeBookings per row (+{report['warmup']} warm-up), "
          f"{report['concurrency']} client workers (round-robin over the processes), cap {report['time_cap_s']:.0f} s, "
          f"{'authenticated' if report['authenticated'] else 'no authentication'} ==")
    print(f"{'':26}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}{'x floor':>9}{'srv CPU':>9}{'cli CPU':>9}"
          f"{'stored=acked':>14}")
    for row in report["rows"].values():
        stored = "" if "stored_matches" not in row else ("yes" if row["stored_matches"] else
                                                          f"NO {row['stored']}/{row['acknowledged']}")
        print(f"{row['label']:26}{row['requests_per_s']:>8,.0f}{row['p50_ms']:>9.1f}{row['p99_ms']:>9.1f}"
              f"{row['errors']:>8}{row.get('ratio_to_floor', float('nan')):>9.2f}{row['server_cpu_share']:>8.0%} "
              f"{row['client_cpu_share']:>8.0%}{stored:>14}")
        for sample in row["error_samples"]:
            print(f"    error: {sample}")
        if row["time_capped"]:
            print(f"    time cap reached: {row['requests']} of {report['requests']} requests sent")
    if "scaling_factor" in report:
        print(f"scaling factor, PostgreSQL {report['processes']} processes / 1 process: {report['scaling_factor']:.2f}")
    for failure in report["failed"]:
        print(f"COULD NOT RUN {failure}")
    print(f"note: client, servers and PostgreSQL share this machine's {report['cores']} cores; 'srv CPU' is the sum "
          "over the row's gateway processes as a share of one core, 'cli CPU' the client's. With the cores busy, "
          "more processes cannot add throughput: the factor shows how much idle time (commit waits, GIL hand-offs) "
          "the extra processes fill, not what separate machines would give.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small counts (about a minute)")
    parser.add_argument("--json", metavar="FILE", help="write all figures to FILE as JSON")
    parser.add_argument("--database-url", default=os.environ.get("NORDGATE_BENCH_DATABASE_URL", DEFAULT_DATABASE),
                        help=f"PostgreSQL server (a schema is made and dropped there; default {DEFAULT_DATABASE})")
    parser.add_argument("--processes", type=int, default=3, help="gateway processes of the scaled row (3)")
    parser.add_argument("--requests", type=int, help="measured requests per row (3000, quick 600)")
    parser.add_argument("--warmup", type=int, help="warm-up requests per row (200, quick 60)")
    parser.add_argument("--concurrency", type=int, default=32, help="client workers (32)")
    parser.add_argument("--time-cap", type=float, help="seconds per measured load (40, quick 20)")
    args = parser.parse_args(argv)
    print(f"nordgate scale benchmark ({'quick' if args.quick else 'full'}): Python {platform.python_version()}, "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    report = run(args)
    report["load_average_after"] = os.getloadavg()[0]
    print_report(report)
    print(f"1-min load average after: {report['load_average_after']:.2f}")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
        print(f"figures written to {args.json}")
    return 0  # a benchmark reports; rows that could not run are named above


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # every finally runs: servers stopped, schemas dropped


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGINT, _terminate)
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\ninterrupted; servers stopped", file=sys.stderr)
        sys.exit(0)
