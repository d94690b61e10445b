"""What the audit trail costs a booking push: the write path with and without its audit row.

    python benchmarks/bench_audit.py [--quick] [--database-url postgresql://…] [--json FILE]

Pushes distinct MakeBooking messages through the gateway's own write path, as ``POST /bookings``
does after parsing: ``BookingIngest.work`` submitted to the group-commit writer from C concurrent
threads, on a real database (an SQLite file with WAL and ``synchronous=FULL`` by default, or the
PostgreSQL schema of ``--database-url``, whose ``audit_log`` must be empty). Once as it was, once
wrapped by :meth:`~gateway.audit.recorder.AuditRecorder.in_unit_of_work`, so each push chains and
inserts its ``booking.push`` row inside its own transaction. Each mode runs ``--rounds`` times,
alternating, and the best rate of each is reported; afterwards the chain must verify and hold one row
per push. Parsing is done beforehand and is the same in both modes. The goal: the audited write
path keeps at least 0.85 x the unaudited rate. The exit status is 0 either way.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
if str(REPO) not in sys.path:  # benchmark this checkout's gateway, whatever is installed
    sys.path.insert(0, str(REPO))

from benchmarks._messages import make_bookings  # noqa: E402

from gateway.audit.events import push_entry  # noqa: E402
from gateway.audit.recorder import AuditRecorder  # noqa: E402
from gateway.bootstrap.inbound import booking_ingest  # noqa: E402
from gateway.bootstrap.stores import (  # noqa: E402
    open_audit_log,
    open_store,
    writer_sink,
)
from gateway.domain.audit import Actor, sha256_hex  # noqa: E402
from gateway.fhir.common import FhirVersion  # noqa: E402
from gateway.fhir.mappings import load_mappings  # noqa: E402
from gateway.ingest.pipeline import PushResult  # noqa: E402
from gateway.primitives.database_url import parse_database_url  # noqa: E402
from gateway.primitives.resources import mappings_dir  # noqa: E402
from gateway.store.group_commit import GroupCommitWriter  # noqa: E402

GOAL = 0.85
SOURCE = "pas"
ACTOR = Actor("bench-client", ("SE2321000016-1003",), "bench-request-id")


def run(url: str, messages: list[bytes], *, audited: bool, concurrency: int) -> float:
    """Messages per second through the write path, all acknowledged."""
    database = parse_database_url(url)
    store = open_store(database)
    writer = GroupCommitWriter(store)
    ingest = booking_ingest(store, load_mappings(mappings_dir()), base_url="http://bench/fhir")
    recorder = AuditRecorder(writer_sink(writer)) if audited else None
    version = FhirVersion.R4
    prepared = [(ingest.receipt_key(body, SOURCE, version), ingest.parse(body, SOURCE), sha256_hex(body))
                for body in messages]

    def push(item: tuple[str, list[Any], str]) -> PushResult:
        key, events, digest = item
        work = ingest.work(key, events, version)
        if recorder is not None:
            work = recorder.in_unit_of_work(work, lambda result: push_entry(
                ACTOR, digest, SOURCE, result.body, replayed=result.replayed))
        result: PushResult = writer.submit(work).result()
        return result

    try:
        started = time.perf_counter()
        with ThreadPoolExecutor(concurrency) as pool:
            results = list(pool.map(push, prepared))
        elapsed = time.perf_counter() - started
        assert not any(result.replayed for result in results)
    finally:
        if recorder is not None:
            recorder.close()
        writer.close()
        store.close()
    return len(messages) / elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer messages and rounds")
    parser.add_argument("--database-url", help="a PostgreSQL schema at head (default: SQLite files in a temp dir)")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args(argv)
    count, rounds = (1000, 2) if args.quick else (4000, 3)
    best = {"off": 0.0, "on": 0.0}
    with tempfile.TemporaryDirectory(prefix="nordgate-bench-audit-") as folder:
        for number in range(rounds):
            for mode in ("off", "on"):
                # Distinct messages every run: no push is answered from a receipt.
                messages = make_bookings(count, prefix=f"A{number}{mode}", start=number * 10 * count)
                url = args.database_url or f"sqlite:///{Path(folder) / f'{mode}-{number}.db'}"
                rate = run(url, messages, audited=mode == "on", concurrency=args.concurrency)
                best[mode] = max(best[mode], rate)
                print(f"round {number + 1} audit {mode:>3}: {rate:8.0f} pushes/s", flush=True)
        url = args.database_url or f"sqlite:///{Path(folder) / f'on-{rounds - 1}.db'}"
        audit_log = open_audit_log(url)
        report = audit_log.verify()
        audit_log.close()
    ratio = best["on"] / best["off"]
    expected_rows = count * rounds if args.database_url else count
    print(f"best: without audit {best['off']:.0f}/s, with audit {best['on']:.0f}/s, ratio {ratio:.2f} "
          f"(goal >= {GOAL}: {'met' if ratio >= GOAL else 'NOT met'})")
    print(f"chain: {report.rows} rows (expected {expected_rows}), {'intact' if report.ok else 'BROKEN'}")
    if args.json:
        args.json.write_text(json.dumps({"without_audit_per_s": best["off"], "with_audit_per_s": best["on"],
                                         "ratio": ratio, "goal": GOAL, "chain_rows": report.rows,
                                         "chain_ok": report.ok}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
