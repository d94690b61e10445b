"""PostgreSQL store: the same port as :mod:`gateway.store.sqlite`, for several gateway processes
sharing one database.

Where SQLite has one writer, here many processes write at once, so idempotency and versioning are
decided by the database, never by a read-then-write that two processes could interleave:

- a write session reads a resource with ``SELECT … FOR UPDATE``: a second writer of the same
  resource waits for the first to commit, then reads the version it made;
- a new version is an ``UPDATE … WHERE version_id = <read>`` plus an insert into
  ``resource_history``, whose primary key (type, id, version) lets only one writer make version N;
- a receipt is ``INSERT … ON CONFLICT DO NOTHING``; finding one already there means another
  process answered the same message first.

A unit of work that loses such a race (:func:`~gateway.store.pg.is_lost_race`) is rolled back to
its savepoint and run once more, after the rest of the batch has committed (its row locks are then
released, so the retry cannot deadlock on them): it now sees the winner's receipt and answers the
same bytes, or the winner's version and builds on it. Losing twice is a 503 ``STORE_CONTENDED``.
Commits wait for the WAL flush (``synchronous_commit`` on, the server default).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from gateway.domain.audit import AuditEntry
from gateway.ports.store import Condition, SearchCancelled, SearchPage, SortKey, Stored, Token
from gateway.primitives.clock import utc_now_instant
from gateway.primitives.database_url import DatabaseURL
from gateway.primitives.errors import TransientError
from gateway.store.audit_sql import append_postgres
from gateway.store.pg import RaceLost, cancelled_when, contended, is_lost_race, open_pool
from gateway.store.resource_sql import (
    COUNT_OF_TYPE,
    DELETE_TOKENS,
    INSERT_HISTORY,
    INSERT_RESOURCE,
    SELECT_CURRENT,
    SELECT_HISTORY,
    SELECT_RECEIPT,
    SELECT_VERSION,
    postgres,
    postgres_any_of,
    search_query,
)

if TYPE_CHECKING:
    from psycopg import Connection

__all__ = ["PostgresStore"]

T = TypeVar("T")
Clock = Callable[[], dt.datetime]
_SELECT_CURRENT = postgres(SELECT_CURRENT)
_SELECT_FOR_UPDATE = _SELECT_CURRENT + " FOR UPDATE"
_SELECT_VERSION = postgres(SELECT_VERSION)
_INSERT_RESOURCE = postgres(INSERT_RESOURCE)
_INSERT_HISTORY = postgres(INSERT_HISTORY)
_DELETE_TOKENS = postgres(DELETE_TOKENS)
_SELECT_RECEIPT = postgres(SELECT_RECEIPT)
_COUNT_OF_TYPE = postgres(COUNT_OF_TYPE)
_SELECT_HISTORY = postgres(SELECT_HISTORY)


def _default_clock() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class _Session:
    def __init__(self, connection: Connection[Any], now: str) -> None:
        self._db = connection
        self._now = now
        self.audit_rows: list[AuditEntry] = []

    def append_audit(self, entries: Sequence[AuditEntry]) -> None:
        """Audit rows of this transaction: chained and inserted just before its COMMIT (gateway.audit.recorder)."""
        self.audit_rows.extend(entries)

    def get(self, resource_type: str, id: str) -> Stored | None:
        # FOR UPDATE: what a unit of work reads it will usually rewrite; a concurrent writer of the
        # same resource waits here and then reads the committed newer version (READ COMMITTED).
        row = self._db.execute(_SELECT_FOR_UPDATE, (resource_type, id)).fetchone()
        return Stored(resource_type, id, row[0], row[1], row[2]) if row else None

    def put(self, resource_type: str, id: str, record: bytes, tokens: Sequence[Token], *,
            previous_version: int | None = None) -> Stored:
        if previous_version is None:
            current = self.get(resource_type, id)
            previous_version = current.version_id if current is not None else 0
        version = previous_version + 1
        db = self._db
        if version == 1:
            # A concurrent creator makes this a UniqueViolation: a lost race, retried.
            db.execute(_INSERT_RESOURCE, (resource_type, id, version, self._now, record))
        else:
            updated = db.execute(
                "UPDATE resource SET version_id=%s, last_updated=%s, record=%s "
                "WHERE resource_type=%s AND id=%s AND version_id=%s",
                (version, self._now, record, resource_type, id, previous_version)).rowcount
            if updated != 1:
                raise RaceLost(f"{resource_type}/{id} is no longer at version {previous_version}")
            db.execute(_DELETE_TOKENS, (resource_type, id))
        db.execute(_INSERT_HISTORY, (resource_type, id, version, self._now, record))
        if tokens:
            with db.cursor() as cursor:
                cursor.executemany("INSERT INTO search_token VALUES (%s,%s,%s,%s) ON CONFLICT DO NOTHING",
                                   [(resource_type, id, name, value) for name, value in tokens])
        return Stored(resource_type, id, version, self._now, record)

    def receipt(self, key: str) -> bytes | None:
        row = self._db.execute(_SELECT_RECEIPT, (key,)).fetchone()
        return bytes(row[0]) if row else None

    def save_receipt(self, key: str, response: bytes) -> None:
        # Waits for a concurrent uncommitted insert of the same key, then inserts nothing if it
        # committed: that process's answer is the answer, so this unit is re-run and replays it.
        inserted = self._db.execute("INSERT INTO receipt VALUES (%s,%s,%s) ON CONFLICT (key) DO NOTHING",
                                    (key, response, self._now)).rowcount
        if inserted != 1:
            raise RaceLost(f"receipt {key} was saved by another writer")


class PostgresStore:
    """Implements :class:`~gateway.ports.store.Store` on PostgreSQL (psycopg 3 and a connection pool)."""

    def __init__(self, url: DatabaseURL, *, clock: Clock = _default_clock, pool_size: int = 8,
                 search_timeout_s: float = 5.0) -> None:
        self._clock = clock
        self._search_timeout_ms = max(1, int(search_timeout_s * 1000))
        self._pool = open_pool(url, name="nordgate-store", min_size=1, max_size=pool_size)

    def write_batch(self, works: Sequence[Callable[[_Session], T]]) -> list[T | BaseException]:
        results: list[T | BaseException | None] = [None] * len(works)
        with self._pool.connection() as connection:
            lost = self._run(connection, works, range(len(works)), results, final=False)
            if lost:  # after the commit above: the winners' rows are visible, our locks released
                self._run(connection, works, lost, results, final=True)
        return results  # type: ignore[return-value] # every slot was filled by _run

    def _run(self, connection: Connection[Any], works: Sequence[Callable[[_Session], T]], indexes: Sequence[int],
             results: list[T | BaseException | None], *, final: bool) -> list[int]:
        """Run ``works[i]`` for each index in one transaction; returns the indexes that lost a race."""
        lost: list[int] = []
        session = _Session(connection, utc_now_instant(self._clock))

        def failed(index: int, exc: Exception) -> None:
            if is_lost_race(exc):
                if final:
                    results[index] = contended(exc)
                else:
                    lost.append(index)
            else:
                results[index] = exc

        if len(indexes) == 1:
            # Alone in its transaction, a failing unit rolls back the transaction itself (no savepoint).
            [index] = indexes
            try:
                with connection.transaction():
                    results[index] = works[index](session)
                    append_postgres(connection, session.audit_rows)  # acknowledged ⇒ audited: same commit
            except Exception as exc:
                failed(index, exc)
            return lost
        with connection.transaction():
            for index in indexes:
                try:
                    with connection.transaction():  # a savepoint: one unit rolls back alone
                        results[index] = works[index](session)
                except Exception as exc:  # one refused or broken piece must not sink the others
                    failed(index, exc)
            # Last, after the batch's row locks: the chain lock is held only for this and the commit.
            append_postgres(connection, session.audit_rows)
        return lost

    def read(self, resource_type: str, id: str) -> Stored | None:
        with self._pool.connection() as connection:
            row = connection.execute(_SELECT_CURRENT, (resource_type, id)).fetchone()
        return Stored(resource_type, id, row[0], row[1], row[2]) if row else None

    def read_version(self, resource_type: str, id: str, version_id: int) -> Stored | None:
        with self._pool.connection() as connection:
            row = connection.execute(_SELECT_VERSION, (resource_type, id, version_id)).fetchone()
        return Stored(resource_type, id, version_id, row[0], row[1]) if row else None

    def search(self, resource_type: str, conditions: Sequence[Condition], *, count: int, offset: int,
               sort: Sequence[SortKey] = (), cancel: threading.Event | None = None) -> SearchPage:
        from psycopg import errors  # noqa: PLC0415 - psycopg is imported only with a PostgreSQL store

        query = search_query(resource_type, conditions, postgres_any_of, sort)
        with self._pool.connection() as connection:
            try:
                with cancelled_when(cancel, connection), connection.transaction():
                    # One transaction: total and page from the same committed state as far as READ
                    # COMMITTED allows. SET LOCAL: the timeout ends with it, the pooled connection
                    # keeps none for the writes it serves next.
                    connection.execute("SELECT set_config('statement_timeout', %s, true)",
                                       (f"{self._search_timeout_ms}ms",))
                    total_row = connection.execute(postgres(query.count), query.params).fetchone()
                    rows = (connection.execute(postgres(query.page),
                                               [*query.params, *query.order_params, count, offset]).fetchall()
                            if count else [])
            except errors.QueryCanceled:
                if cancel is not None and cancel.is_set():
                    raise SearchCancelled from None
                raise TransientError("SEARCH_TIMED_OUT", f"the search ran over {self._search_timeout_ms} ms and "
                                     "was cancelled; narrow it (fewer values, a date range)") from None
        total = int(total_row[0]) if total_row else 0
        return SearchPage([Stored(resource_type, row[0], row[1], row[2], row[3]) for row in rows], total)

    def history(self, resource_type: str, id: str) -> list[Stored]:
        with self._pool.connection() as connection:
            rows = connection.execute(_SELECT_HISTORY, (resource_type, id)).fetchall()
        return [Stored(resource_type, id, row[0], row[1], row[2]) for row in rows]

    def receipt(self, key: str) -> bytes | None:
        with self._pool.connection() as connection:
            row = connection.execute(_SELECT_RECEIPT, (key,)).fetchone()
        return bytes(row[0]) if row else None

    def count(self, resource_type: str) -> int:
        with self._pool.connection() as connection:
            row = connection.execute(_COUNT_OF_TYPE, (resource_type,)).fetchone()
        return int(row[0]) if row else 0

    def close(self) -> None:
        self._pool.close()
