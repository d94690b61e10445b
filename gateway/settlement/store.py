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
from typing import Any, Final, TypeVar

import orjson

from gateway.errors import ConfigurationError
from gateway.settlement.records import (
    AppRecOutcome,
    DeliveryState,
    NewSettlement,
    OutboxItem,
    SettlementRecord,
    SettlementState,
)
from gateway.store.migrate import ensure_sqlite_schema

__all__ = ["OUTBOX_COLUMNS", "SELECT_SETTLEMENT", "SQLiteSettlementStore", "outbox_item", "settlement_record"]

T = TypeVar("T")

SETTLEMENT_COLUMNS: Final = (
    "s.id, s.state, s.created, s.updated, s.verdicts, s.totals, s.msg_id, s.receiver_her_id, "
    "s.message IS NOT NULL, s.error_code, s.last_error, s.apprec_status, s.apprec_errors, s.apprec_id"
)
OUTBOX_COLUMNS: Final = (
    "o.msg_id, o.settlement_id, o.receiver_her_id, o.payload, o.state, o.attempts, o.next_attempt_at, "
    "o.leased_until, o.delivered_at, o.last_error, o.request_id"
)
SELECT_SETTLEMENT: Final = (
    f"SELECT {SETTLEMENT_COLUMNS}, {OUTBOX_COLUMNS} FROM settlement s "  # noqa: S608 - fixed text
    "LEFT JOIN outbox o ON o.msg_id = s.msg_id"
)
_APPREC_FROM: Final = tuple(s.value for s in (SettlementState.QUEUED, SettlementState.SENT, SettlementState.FAILED))


def outbox_item(row: tuple[Any, ...]) -> OutboxItem:
    return OutboxItem(row[0], row[1], row[2], bytes(row[3]), DeliveryState(row[4]), row[5], row[6], row[7],
                      row[8], row[9], row[10])


def settlement_record(row: tuple[Any, ...]) -> SettlementRecord:
    apprec = None
    if row[11] is not None:
        apprec = AppRecOutcome(int(row[11]), tuple(orjson.loads(row[12] or "[]")), row[13])
    delivery = outbox_item(row[14:]) if row[14] is not None else None
    return SettlementRecord(
        id=row[0], state=SettlementState(row[1]), created=row[2], updated=row[3], verdicts=bytes(row[4]),
        totals=None if row[5] is None else bytes(row[5]), msg_id=row[6], receiver_her_id=row[7],
        has_message=bool(row[8]), error_code=row[9], last_error=row[10], apprec=apprec, delivery=delivery)


class SQLiteSettlementStore:
    """Implements :class:`~gateway.settlement.records.SettlementStore` on SQLite."""

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

    # ------------------------------------------------------------------ settlements

    def add(self, settlement: NewSettlement, *, now: str) -> None:
        s = settlement
        with self._transaction() as db:
            db.execute(
                "INSERT INTO settlement (id, state, created, updated, batch, verdicts, totals, msg_id, message, "
                "receiver_her_id, error_code, request_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (s.id, s.state.value, now, now, s.batch, s.verdicts, s.totals, s.msg_id, s.message,
                 s.receiver_her_id, s.error_code, s.request_id))
            if s.message is not None and s.msg_id is not None and s.receiver_her_id is not None:
                db.execute(
                    "INSERT INTO outbox (msg_id, settlement_id, receiver_her_id, payload, state, attempts, "
                    "next_attempt_at, request_id) VALUES (?,?,?,?,?,0,?,?)",
                    (s.msg_id, s.id, s.receiver_her_id, s.message, DeliveryState.QUEUED.value, now, s.request_id))

    def get(self, settlement_id: str) -> SettlementRecord | None:
        row = self._read(lambda db: db.execute(f"{SELECT_SETTLEMENT} WHERE s.id = ?", (settlement_id,)).fetchone())
        return settlement_record(row) if row else None

    def by_msg_id(self, msg_id: str) -> SettlementRecord | None:
        row = self._read(lambda db: db.execute(f"{SELECT_SETTLEMENT} WHERE s.msg_id = ?", (msg_id,)).fetchone())
        return settlement_record(row) if row else None

    def message(self, settlement_id: str) -> bytes | None:
        row = self._read(lambda db: db.execute("SELECT message FROM settlement WHERE id = ?",
                                               (settlement_id,)).fetchone())
        return bytes(row[0]) if row and row[0] is not None else None

    def batch(self, settlement_id: str) -> bytes | None:
        row = self._read(lambda db: db.execute("SELECT batch FROM settlement WHERE id = ?",
                                               (settlement_id,)).fetchone())
        return bytes(row[0]) if row else None

    def record_apprec(self, msg_id: str, outcome: AppRecOutcome, state: SettlementState, *,
                      now: str) -> tuple[SettlementRecord | None, bool]:
        with self._transaction() as db:
            row = db.execute(f"{SELECT_SETTLEMENT} WHERE s.msg_id = ?", (msg_id,)).fetchone()
            if row is None:
                return None, False
            record = settlement_record(row)
            if record.apprec is not None or record.state.value not in _APPREC_FROM:
                return record, False
            db.execute(
                "UPDATE settlement SET state=?, updated=?, apprec_status=?, apprec_errors=?, apprec_id=?, "
                "apprec_at=? WHERE id=?",
                (state.value, now, outcome.status, orjson.dumps(list(outcome.error_codes)).decode(),
                 outcome.apprec_id, now, record.id))
            # A receipt proves delivery: a row still queued (or given up on) must not be sent again.
            db.execute("UPDATE outbox SET state=?, delivered_at=COALESCE(delivered_at, ?), leased_until=NULL, "
                       "lease_owner=NULL WHERE msg_id=? AND state!=?",
                       (DeliveryState.SENT.value, now, msg_id, DeliveryState.SENT.value))
            row = db.execute(f"{SELECT_SETTLEMENT} WHERE s.msg_id = ?", (msg_id,)).fetchone()
        return settlement_record(row), True

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

    def mark_sent(self, msg_id: str, *, owner: str, now: str) -> None:
        # Delivered is a fact whoever holds the lease now; the owner is not checked.
        with self._transaction() as db:
            db.execute("UPDATE outbox SET state=?, delivered_at=?, leased_until=NULL, lease_owner=NULL "
                       "WHERE msg_id=? AND state=?",
                       (DeliveryState.SENT.value, now, msg_id, DeliveryState.QUEUED.value))
            db.execute("UPDATE settlement SET state=?, updated=? WHERE msg_id=? AND state=?",
                       (SettlementState.SENT.value, now, msg_id, SettlementState.QUEUED.value))

    def mark_retry(self, msg_id: str, *, owner: str, error: str, next_attempt_at: str, now: str) -> None:
        with self._transaction() as db:
            changed = db.execute(
                "UPDATE outbox SET last_error=?, next_attempt_at=?, leased_until=NULL, lease_owner=NULL "
                "WHERE msg_id=? AND state=? AND lease_owner=?",
                (error, next_attempt_at, msg_id, DeliveryState.QUEUED.value, owner)).rowcount
            if changed:
                db.execute("UPDATE settlement SET last_error=?, updated=? WHERE msg_id=?", (error, now, msg_id))

    def mark_failed(self, msg_id: str, *, owner: str, error: str, now: str) -> None:
        with self._transaction() as db:
            changed = db.execute(
                "UPDATE outbox SET state=?, last_error=?, leased_until=NULL, lease_owner=NULL "
                "WHERE msg_id=? AND state=? AND lease_owner=?",
                (DeliveryState.FAILED.value, error, msg_id, DeliveryState.QUEUED.value, owner)).rowcount
            if changed:
                db.execute("UPDATE settlement SET state=?, last_error=?, updated=? WHERE msg_id=? AND state=?",
                           (SettlementState.FAILED.value, error, now, msg_id, SettlementState.QUEUED.value))

    def close(self) -> None:
        with self._lock:
            self._db.close()
