"""SQLite home of settlements and the outbox: same database file as the booking store, own tables,
own connection.

WAL journal with ``synchronous=FULL`` as in :mod:`gateway.store.sqlite`: every method below is one
``BEGIN IMMEDIATE … COMMIT`` and on disk when it returns, so a settlement answered with 202 and its
outbox row survive a crash together (:meth:`SQLiteSettlementStore.add` writes both in one
transaction). The settlement side is not the high-throughput path, so all access goes through one
connection under a lock.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from gateway.domain.settlement_records import (
    DeliveryState,
    OutboxItem,
)
from gateway.primitives.errors import ConfigurationError
from gateway.store.migrate import ensure_sqlite_schema
from gateway.store.settlement_sql import (
    OUTBOX_COLUMNS,
    SELECT_SETTLEMENT,
    SqlSettlementStore,
    outbox_item,
    settlement_record,
)

__all__ = ["OUTBOX_COLUMNS", "SELECT_SETTLEMENT", "SQLiteSettlementStore", "outbox_item", "settlement_record"]

T = TypeVar("T")


class SQLiteSettlementStore(SqlSettlementStore):
    """Implements :class:`~gateway.ports.settlement.SettlementStore` on SQLite."""

    def __init__(self, path: Path | str) -> None:
        self._path = str(path)
        if self._path != ":memory:" and not Path(self._path).parent.is_dir():
            raise ConfigurationError("DATABASE_PATH_INVALID",
                                     f"folder {Path(self._path).parent} for the database does not exist")
        try:
            self._db = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False, timeout=30.0)
            if self._path != ":memory:":
                self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            ensure_sqlite_schema(self._db)  # tables come from the migrations only
        except sqlite3.Error as exc:
            raise ConfigurationError("DATABASE_UNREADABLE",
                                     f"cannot open SQLite database {self._path}: {exc}") from None
        self._lock = threading.Lock()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _read(self, work: Callable[[sqlite3.Connection], T]) -> T:
        with self._lock:
            return work(self._db)

    # ----------------------------------------------------------------------- outbox

    def claim_due(self, *, now: str, lease_until: str, owner: str, limit: int) -> list[OutboxItem]:
        with self._transaction() as db:
            ids = [row[0] for row in db.execute(
                "SELECT msg_id FROM outbox WHERE state=? AND next_attempt_at <= ? "
                "AND (leased_until IS NULL OR leased_until <= ?) ORDER BY next_attempt_at LIMIT ?",
                (DeliveryState.QUEUED.value, now, now, limit))]
            items = []
            for msg_id in ids:
                db.execute("UPDATE outbox SET leased_until=?, lease_owner=?, attempts=attempts+1 WHERE msg_id=?",
                           (lease_until, owner, msg_id))
                row = db.execute(f"SELECT {OUTBOX_COLUMNS} FROM outbox o WHERE o.msg_id=?",  # noqa: S608
                                 (msg_id,)).fetchone()
                items.append(outbox_item(row))
        return items

    def close(self) -> None:
        with self._lock:
            self._db.close()
