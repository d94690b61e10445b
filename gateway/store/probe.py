"""Cheap questions to the database for readiness and scrapes, on a connection of their own.

Why not the stores' pools: a readiness probe must say whether a *new* connection to the database can
be made and used, and it must not wait behind a pool busy with a burst of pushes (that is when a
load balancer asks). One connection, opened on first use, re-opened after a failure, with short
connect and statement timeouts so that a hung server makes ``/readyz`` answer 503 within seconds
instead of hanging. On PostgreSQL this is one more connection per process (see the README's sizing).

The outbox question reads only queued rows (the ``outbox_claimable`` partial index) joined to their
settlements: depth and the creation time of the oldest.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from gateway.primitives.database_url import DatabaseURL

if TYPE_CHECKING:
    from psycopg import Connection

__all__ = ["DatabaseProbe", "OutboxQueue"]

_TIMEOUT_S: Final = 2
_QUEUE_SQL: Final = ("SELECT COUNT(*), MIN(s.created) FROM outbox o JOIN settlement s ON s.id = o.settlement_id "
                     "WHERE o.state = 'queued'")


@dataclass(frozen=True, slots=True)
class OutboxQueue:
    depth: int
    oldest_age_s: float  # 0 when nothing is queued


def _age_s(created: str | None, now: dt.datetime) -> float:
    if not created:
        return 0.0
    moment = dt.datetime.fromisoformat(created.replace("Z", "+00:00"))
    return max(0.0, (now - moment).total_seconds())


class DatabaseProbe:
    def __init__(self, url: DatabaseURL) -> None:
        self._url = url
        self._lock = threading.Lock()
        self._pg: Connection[Any] | None = None

    @property
    def shared_memory(self) -> bool:
        """An in-memory SQLite database lives inside the store's own connection: nothing to probe."""
        return self._url.engine == "sqlite" and self._url.sqlite_path == ":memory:"

    def ping(self) -> None:
        """Raise (psycopg.Error, sqlite3.Error, OSError) when the database does not answer now."""
        self._query("SELECT 1")

    def outbox_queue(self, now: dt.datetime | None = None) -> OutboxQueue | None:
        """Depth and age of the queued outbox; None for an in-memory database."""
        if self.shared_memory:
            return None
        row = self._query(_QUEUE_SQL)
        return OutboxQueue(int(row[0]), _age_s(row[1], now or dt.datetime.now(dt.UTC)))

    def close(self) -> None:
        with self._lock:
            if self._pg is not None:
                self._pg.close()
                self._pg = None

    def _query(self, sql: str) -> tuple[Any, ...]:
        if self._url.engine == "postgresql":
            return self._postgres(sql)
        if self.shared_memory:
            return (1,)
        return self._sqlite(sql)

    def _sqlite(self, sql: str) -> tuple[Any, ...]:
        path = self._url.sqlite_path
        if not Path(path).exists():  # read-only URIs below would fail anyway; say it plainly
            raise sqlite3.OperationalError(f"no database file {path}")
        # Read-only, opened per call: a file connection costs ~50 µs and holds no lock between calls.
        connection = sqlite3.connect(f"{Path(path).absolute().as_uri()}?mode=ro", uri=True, timeout=_TIMEOUT_S)
        try:
            row = connection.execute(sql).fetchone()
        finally:
            connection.close()
        return tuple(row)

    def _postgres(self, sql: str) -> tuple[Any, ...]:
        import psycopg  # noqa: PLC0415

        with self._lock:
            try:
                if self._pg is None or self._pg.closed:
                    self._pg = psycopg.connect(self._url.conninfo, autocommit=True, connect_timeout=_TIMEOUT_S)
                    self._pg.execute(f"SET statement_timeout = {_TIMEOUT_S * 1000}")
                row = self._pg.execute(sql).fetchone()
            except psycopg.Error:
                if self._pg is not None:
                    self._pg.close()
                    self._pg = None
                raise
        return tuple(row or ())
