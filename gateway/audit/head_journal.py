"""The audit chain's head, published outside the database, so that a full rewrite is detected
without anybody noting ``--expect-head`` by hand.

The hash chain (``gateway/domain/audit_chain.py``) shows a row edited, removed or inserted, but not
a chain rewritten from the first row on with fresh hashes: that is again a valid chain. Detecting it
needs something the rewriter cannot also rewrite. Two ways were weighed:

- **A keyed MAC over the head** (HMAC with a key from the settings, stored in the database). It
  needs a new table, a migration and the key on every gateway host; whoever holds the gateway host
  holds the key, and whoever holds only the database cannot forge it.
- **The head published to a file** (chosen). Every ``NORDGATE_AUDIT_HEAD_PUBLISH_S`` (default 60 s)
  the gateway appends ``{"at", "seq", "hash"}`` of the current head, when it changed, as one JSON
  line to ``NORDGATE_AUDIT_HEAD_FILE``. ``nordgate audit verify`` reads the file when the setting is
  set and checks that *every* published head is still in the chain with the same hash. A database
  rewritten from row 1 has other hashes at those rows; a chain cut short lacks them. It needs no
  schema change, no secret, and the file can be put where the database's writers cannot reach it:
  another volume, a log shipper (one line a minute), write-once storage. That last property is
  what a MAC cannot give: a file copied off the host is out of reach of a host compromise as well,
  while a MAC key is on the host that is compromised.

What it does not see: a rewrite of only the rows after the last published head (at most
``NORDGATE_AUDIT_HEAD_PUBLISH_S`` of them), and a rewrite by someone who can also rewrite the file.
The file grows by one short line per interval in which something was audited (about 130 kB a day).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import orjson

from gateway.domain.audit import AuditRow, now_instant

__all__ = ["HeadJournal", "check_published"]

Head = tuple[int, str]
_log = logging.getLogger("nordgate.audit")


class HeadJournal:
    def __init__(self, path: Path, *, every_s: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.path = path
        self.every_s = every_s
        self._clock = clock
        self._lock = threading.Lock()
        self._due = clock()  # the first call publishes
        self._last: Head | None = None

    def maybe_publish(self, head: Callable[[], Head | None]) -> None:
        """Publish the head if the interval has passed (called by the recorder's thread each round)."""
        now = self._clock()
        if now < self._due:
            return
        self._due = now + self.every_s
        self.publish(head())

    def publish(self, head: Head | None) -> None:
        with self._lock:
            if head is None or head == self._last:
                return
            line = orjson.dumps({"at": now_instant(), "seq": head[0], "hash": head[1]}) + b"\n"
            # O_APPEND: several processes (PostgreSQL) may share one file; a short line is one write.
            descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
            try:
                os.write(descriptor, line)
                os.fsync(descriptor)
            finally:
                os.close(descriptor)
            self._last = head

    def entries(self) -> tuple[list[Head], list[str]]:
        """The published heads, and a problem for each line that is not one."""
        heads: list[Head] = []
        problems: list[str] = []
        try:
            text = self.path.read_bytes()
        except FileNotFoundError:
            return [], [f"the published head file {self.path} does not exist"]
        for number, raw in enumerate(text.splitlines(), start=1):
            try:
                item = orjson.loads(raw)
                heads.append((int(item["seq"]), str(item["hash"])))
            except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
                problems.append(f"{self.path} line {number} is not a published head")
        return heads, problems


def check_published(rows: Iterable[AuditRow], published: Iterable[Head]) -> list[str]:
    """Every published head must still be a row of the chain with the same hash (one walk)."""
    wanted: dict[int, set[str]] = {}
    for seq, digest in published:
        wanted.setdefault(seq, set()).add(digest)
    problems: list[str] = []
    for row in rows:
        hashes = wanted.pop(row.seq, None)
        if hashes is not None and hashes != {row.hash}:
            problems.append(f"row {row.seq} has another hash than the head published for it: "
                            "the chain was rewritten")
    problems += [f"row {seq} was published as a head but is gone: rows were cut off the chain"
                 for seq in sorted(wanted)]
    return problems
