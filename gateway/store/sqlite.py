"""SQLite store: the embedded default.

WAL journal with ``synchronous=FULL``: a commit is on disk when it returns. Writes are serialised
through one connection (SQLite has one writer anyway) and batched by
:class:`~gateway.store.group_commit.GroupCommitWriter` so that concurrent pushes share one fsync.
Reads use one connection per thread and never wait for the writer.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from gateway.domain.audit import AuditEntry
from gateway.ports.store import Condition, SearchCancelled, SearchPage, SortKey, Stored, Token
from gateway.primitives.clock import utc_now_instant
from gateway.primitives.errors import ConfigurationError, MalformedInput, TransientError
from gateway.store.audit_sql import append_sqlite
from gateway.store.migrate import ensure_sqlite_schema
from gateway.store.resource_sql import (
    COUNT_OF_TYPE,
    DELETE_TOKENS,
    INSERT_HISTORY,
    INSERT_RESOURCE,
    SELECT_CURRENT,
    SELECT_HISTORY,
    SELECT_RECEIPT,
    SELECT_VERSION,
    search_query,
    sqlite_any_of,
)

__all__ = ["SQLiteStore"]

T = TypeVar("T")
Clock = Callable[[], dt.datetime]
#: SQLite calls the progress handler every this many virtual-machine steps (about a millisecond).
_PROGRESS_STEPS = 10_000
#: SQLite's words for a statement over its compile-time limits (999 AND-ed conditions, bound parameters).
_TOO_BIG = ("Expression tree is too large", "too many SQL variables", "too many terms", "parser stack overflow")


def _default_clock() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class _Session:
    def __init__(self, connection: sqlite3.Connection, now: str) -> None:
        self._db = connection
        self._now = now
        self.audit_rows: list[AuditEntry] = []

    def append_audit(self, entries: Sequence[AuditEntry]) -> None:
        """Audit rows of this transaction: chained and inserted just before its COMMIT (gateway.audit.recorder)."""
        self.audit_rows.extend(entries)

    def get(self, resource_type: str, id: str) -> Stored | None:
        row = self._db.execute(SELECT_CURRENT, (resource_type, id)).fetchone()
        return Stored(resource_type, id, row[0], row[1], row[2]) if row else None

    def put(self, resource_type: str, id: str, record: bytes, tokens: Sequence[Token], *,
            previous_version: int | None = None) -> Stored:
        if previous_version is None:
            current = self.get(resource_type, id)
            previous_version = current.version_id if current is not None else 0
        version = previous_version + 1
        if version == 1:
            self._db.execute(INSERT_RESOURCE, (resource_type, id, version, self._now, record))
        else:
            self._db.execute("UPDATE resource SET version_id=?, last_updated=?, record=? "
                             "WHERE resource_type=? AND id=?", (version, self._now, record, resource_type, id))
            self._db.execute(DELETE_TOKENS, (resource_type, id))
        self._db.execute(INSERT_HISTORY, (resource_type, id, version, self._now, record))
        self._db.executemany("INSERT OR IGNORE INTO search_token VALUES (?,?,?,?)",
                             [(resource_type, id, name, value) for name, value in tokens])
        return Stored(resource_type, id, version, self._now, record)

    def receipt(self, key: str) -> bytes | None:
        row = self._db.execute(SELECT_RECEIPT, (key,)).fetchone()
        return bytes(row[0]) if row else None

    def save_receipt(self, key: str, response: bytes) -> None:
        self._db.execute("INSERT OR IGNORE INTO receipt VALUES (?,?,?)", (key, response, self._now))


class SQLiteStore:
    def __init__(self, path: Path | str, *, clock: Clock = _default_clock, search_timeout_s: float = 5.0) -> None:
        self._path = str(path)
        self._clock = clock
        self._search_timeout_s = search_timeout_s
        self._memory = self._path == ":memory:"
        if not self._memory:
            parent = Path(self._path).parent
            if not parent.is_dir():
                raise ConfigurationError("DATABASE_PATH_INVALID", f"folder {parent} for the database does not exist")
        self._write_lock = threading.Lock()
        self._writer = self._connect()
        ensure_sqlite_schema(self._writer)  # tables come from the migrations only (gateway/migrations)
        self._local = threading.local()

    def _connect(self) -> sqlite3.Connection:
        try:
            connection = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False,
                                         timeout=30.0)
        except sqlite3.Error as exc:
            raise ConfigurationError("DATABASE_UNREADABLE",
                                     f"cannot open SQLite database {self._path}: {exc}") from None
        if not self._memory:
            connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=FULL")
        return connection

    def _reader(self) -> sqlite3.Connection:
        if self._memory:
            return self._writer  # one in-memory database per connection: share the writer's
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._connect()
            self._local.connection = connection
        return connection

    def write_batch(self, works: Sequence[Callable[[_Session], T]]) -> list[T | BaseException]:
        results: list[T | BaseException] = []
        with self._write_lock:
            session = _Session(self._writer, utc_now_instant(self._clock))
            self._writer.execute("BEGIN IMMEDIATE")
            try:
                if len(works) == 1:
                    # Alone in its transaction, a failing unit rolls back the transaction itself.
                    try:
                        results.append(works[0](session))
                    except Exception as exc:
                        self._writer.execute("ROLLBACK")
                        return [exc]
                else:
                    for work in works:
                        self._writer.execute("SAVEPOINT work")
                        try:
                            results.append(work(session))
                        except Exception as exc:  # one refused or broken piece must not sink the others
                            self._writer.execute("ROLLBACK TO work")
                            results.append(exc)
                        self._writer.execute("RELEASE work")
                append_sqlite(self._writer, session.audit_rows)  # acknowledged ⇒ audited: same commit
                self._writer.execute("COMMIT")
            except BaseException:
                if self._writer.in_transaction:
                    self._writer.execute("ROLLBACK")
                raise
        return results

    def _lock_if_memory(self) -> threading.Lock | _NoLock:
        return self._write_lock if self._memory else _NO_LOCK

    def read(self, resource_type: str, id: str) -> Stored | None:
        with self._lock_if_memory():
            row = self._reader().execute(SELECT_CURRENT, (resource_type, id)).fetchone()
        return Stored(resource_type, id, row[0], row[1], row[2]) if row else None

    def read_version(self, resource_type: str, id: str, version_id: int) -> Stored | None:
        with self._lock_if_memory():
            row = self._reader().execute(SELECT_VERSION, (resource_type, id, version_id)).fetchone()
        return Stored(resource_type, id, version_id, row[0], row[1]) if row else None

    def search(self, resource_type: str, conditions: Sequence[Condition], *, count: int, offset: int,
               sort: Sequence[SortKey] = (), cancel: threading.Event | None = None) -> SearchPage:
        query = search_query(resource_type, conditions, sqlite_any_of, sort)
        # SQLite has no statement timeout: a progress handler aborts the query past its deadline or
        # when the client has gone (``cancel``), so one search cannot hold a reader for minutes.
        deadline = time.monotonic() + self._search_timeout_s

        def stop() -> int:
            return int(time.monotonic() > deadline or (cancel is not None and cancel.is_set()))

        with self._lock_if_memory():
            db = self._reader()
            db.set_progress_handler(stop, _PROGRESS_STEPS)
            try:
                total = db.execute(query.count, query.params).fetchone()[0]
                rows = (db.execute(query.page, [*query.params, *query.order_params, count, offset]).fetchall()
                        if count else [])
            except sqlite3.OperationalError as exc:
                raise _search_failure(exc, cancel, self._search_timeout_s) from None
            finally:
                db.set_progress_handler(None, 0)
        return SearchPage([Stored(resource_type, row[0], row[1], row[2], row[3]) for row in rows], total)

    def history(self, resource_type: str, id: str) -> list[Stored]:
        with self._lock_if_memory():
            rows = self._reader().execute(SELECT_HISTORY, (resource_type, id)).fetchall()
        return [Stored(resource_type, id, row[0], row[1], row[2]) for row in rows]

    def receipt(self, key: str) -> bytes | None:
        with self._lock_if_memory():
            row = self._reader().execute(SELECT_RECEIPT, (key,)).fetchone()
        return bytes(row[0]) if row else None

    def count(self, resource_type: str) -> int:
        with self._lock_if_memory():
            row = self._reader().execute(COUNT_OF_TYPE, (resource_type,)).fetchone()
        return int(row[0])

    def close(self) -> None:
        self._writer.close()
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()


def _search_failure(exc: sqlite3.OperationalError, cancel: threading.Event | None, timeout_s: float) -> Exception:
    """What a failed search answers: never a 500 for a query the client made too big or too slow."""
    if cancel is not None and cancel.is_set():
        return SearchCancelled()
    if "interrupted" in str(exc):
        return TransientError("SEARCH_TIMED_OUT", f"the search ran over {timeout_s:g} s and was stopped; "
                              "narrow it (fewer values, a date range)")
    if any(limit in str(exc) for limit in _TOO_BIG):  # the search is bigger than SQLite parses
        return MalformedInput("SEARCH_TOO_COMPLEX", "the search names too many values for the store")
    return exc


class _NoLock:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *args: object) -> None:
        return None


_NO_LOCK = _NoLock()
