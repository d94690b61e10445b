"""When audit rows are written, and at what cost to the request that caused them.

Three paths, chosen by what the action wrote:

1. **Booking pushes** (the hot path, thousands a minute) are audited *inside their own unit of
   work*: :meth:`AuditRecorder.in_unit_of_work` wraps the push's unit of work so that, once it
   succeeded, it hands its row to the store session, and the store chains and inserts the batch's
   rows just before the group commit's ``COMMIT``. The push and its audit row commit together or
   not at all: acknowledged ⇒ audited, with no extra transaction or fsync. Adding the rows at the
   end of the batch (not as each unit runs) keeps PostgreSQL's chain lock from being held while
   the batch takes row locks, so two processes cannot deadlock on it, and holds it only for the
   insert and the commit.
2. **Other writes** (settlement submitted, AppRec received, message delivered, account changed):
   :meth:`AuditRecorder.record_now` appends before the answer goes out, together with everything
   still buffered (e.g. the ``settlement.sign`` row of the same request). These are not hot; the
   append is one more unit of work in the booking store's group commit, sharing its fsync.
3. **Reads, searches, previews, refused requests** (nothing stored): :meth:`AuditRecorder.record`
   puts the row in memory and returns; a background thread appends what has gathered at least
   every ``flush_s`` (1 s), sooner when 512 rows wait, and at shutdown. A crash can lose up to a
   second of read rows; no read waits for a disk.

All appends from one process go through the booking store's writer (group commit), so on SQLite
they never contend for its single write lock. A failed append keeps its rows for the next flush
(up to ``max_buffer`` rows; beyond that the oldest are dropped and an error is logged).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from gateway.domain.audit import AuditEntry

__all__ = ["AuditRecorder", "Sink"]

T = TypeVar("T")
Sink = Callable[[Sequence[AuditEntry]], None]
_log = logging.getLogger("nordgate.audit")


class AuditRecorder:
    def __init__(self, sink: Sink, *, in_transaction: bool = True, flush_s: float = 1.0, wake_at: int = 512,
                 max_buffer: int = 100_000, after_flush: Callable[[], None] | None = None) -> None:
        self._sink = sink
        #: Run by the background thread after each round (publishing the chain's head: head_journal.py).
        self._after_flush = after_flush
        #: False when the booking store's database is not the audit log's (SQLite ``:memory:``).
        self.in_transaction = in_transaction
        self._flush_s = flush_s
        self._wake_at = wake_at
        self._max_buffer = max_buffer
        self._buffer: list[AuditEntry] = []
        self._lock = threading.Lock()          # guards _buffer
        self._write_lock = threading.Lock()    # one append at a time: rows keep their recording order
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="nordgate-audit", daemon=True)
        self._thread.start()

    def record(self, entry: AuditEntry) -> None:
        """Buffered: appended within ``flush_s``."""
        with self._lock:
            self._buffer.append(entry)
            waiting = len(self._buffer)
        if waiting >= self._wake_at:
            self._wake.set()

    def record_now(self, entry: AuditEntry) -> None:
        """Durable when it returns, with everything buffered before it. Raises when the append
        failed; the rows then stay buffered for the next flush."""
        self._flush(entry)

    def flush(self) -> None:
        """Append everything buffered now (tests, shutdown)."""
        self._flush(None)

    def in_unit_of_work(self, work: Callable[[Any], T], describe: Callable[[T], AuditEntry]) -> Callable[[Any], T]:
        """``work`` (a store unit of work) that, when it succeeds, adds its audit row to the same transaction."""
        if not self.in_transaction:
            def buffered(session: Any) -> T:
                result = work(session)
                self.record(describe(result))
                return result
            return buffered

        def audited(session: Any) -> T:
            result = work(session)
            session.append_audit((describe(result),))
            return result
        return audited

    def close(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=30)
        try:
            self.flush()
        except Exception:
            _log.exception("audit rows could not be written at shutdown")

    def _flush(self, extra: AuditEntry | None) -> None:
        with self._write_lock:
            with self._lock:
                batch, self._buffer = self._buffer, []
            if extra is not None:
                batch.append(extra)
            if not batch:
                return
            try:
                self._sink(batch)
            except BaseException:
                self._keep(batch)
                raise

    def _keep(self, batch: list[AuditEntry]) -> None:
        with self._lock:
            self._buffer[:0] = batch
            over = len(self._buffer) - self._max_buffer
            if over > 0:
                del self._buffer[:over]
        if over > 0:
            _log.error("audit buffer full: %d audit rows dropped", over)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self._flush_s)
            self._wake.clear()
            try:
                self.flush()
                if self._after_flush is not None:
                    self._after_flush()
            except Exception:  # the database is away: keep the rows, try again next round
                _log.exception("appending audit rows failed; retrying")
