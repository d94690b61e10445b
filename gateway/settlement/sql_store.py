"""What the SQLite and the PostgreSQL settlement stores share: the row shapes and every statement
that both engines run alike, written once with ``?`` placeholders.

The engines differ only where concurrency is decided (claiming the outbox, recording an AppRec)
and in how a transaction is opened; those stay in :mod:`gateway.settlement.store` and
:mod:`gateway.settlement.postgres_store`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any, Final, TypeVar

import orjson

from gateway.settlement.records import (
    AppRecOutcome,
    DeliveryState,
    NewSettlement,
    OutboxItem,
    SettlementRecord,
    SettlementState,
)

__all__ = [
    "APPREC_FROM", "OUTBOX_COLUMNS", "SELECT_SETTLEMENT", "SqlSettlementStore", "outbox_item", "settlement_record",
]

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
#: States an AppRec may still be recorded in.
APPREC_FROM: Final = tuple(s.value for s in (SettlementState.QUEUED, SettlementState.SENT, SettlementState.FAILED))


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


class SqlSettlementStore:
    """The shared half of a :class:`~gateway.settlement.records.SettlementStore`. Subclasses give
    ``_transaction`` (one committed transaction), ``_read`` and their placeholder ``_param``."""

    _param = "?"

    def _transaction(self) -> AbstractContextManager[Any]:
        raise NotImplementedError

    def _read(self, work: Callable[[Any], T]) -> T:
        raise NotImplementedError

    def _q(self, sql: str) -> str:
        return _placeholders(sql, self._param)

    # ------------------------------------------------------------------ settlements

    def add(self, settlement: NewSettlement, *, now: str) -> None:
        s = settlement
        with self._transaction() as db:
            db.execute(self._q(
                "INSERT INTO settlement (id, state, created, updated, batch, verdicts, totals, msg_id, message, "
                "receiver_her_id, error_code, request_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"),
                (s.id, s.state.value, now, now, s.batch, s.verdicts, s.totals, s.msg_id, s.message,
                 s.receiver_her_id, s.error_code, s.request_id))
            if s.message is not None and s.msg_id is not None and s.receiver_her_id is not None:
                db.execute(self._q(
                    "INSERT INTO outbox (msg_id, settlement_id, receiver_her_id, payload, state, attempts, "
                    "next_attempt_at, request_id) VALUES (?,?,?,?,?,0,?,?)"),
                    (s.msg_id, s.id, s.receiver_her_id, s.message, DeliveryState.QUEUED.value, now, s.request_id))

    def get(self, settlement_id: str) -> SettlementRecord | None:
        sql = self._q(f"{SELECT_SETTLEMENT} WHERE s.id = ?")
        row = self._read(lambda db: db.execute(sql, (settlement_id,)).fetchone())
        return settlement_record(row) if row else None

    def by_msg_id(self, msg_id: str) -> SettlementRecord | None:
        sql = self._q(f"{SELECT_SETTLEMENT} WHERE s.msg_id = ?")
        row = self._read(lambda db: db.execute(sql, (msg_id,)).fetchone())
        return settlement_record(row) if row else None

    def message(self, settlement_id: str) -> bytes | None:
        row = self._read(lambda db: db.execute(self._q("SELECT message FROM settlement WHERE id = ?"),
                                               (settlement_id,)).fetchone())
        return bytes(row[0]) if row and row[0] is not None else None

    def batch(self, settlement_id: str) -> bytes | None:
        row = self._read(lambda db: db.execute(self._q("SELECT batch FROM settlement WHERE id = ?"),
                                               (settlement_id,)).fetchone())
        return bytes(row[0]) if row else None

    # ----------------------------------------------------------------------- outbox

    def mark_sent(self, msg_id: str, *, owner: str, now: str) -> None:
        # Delivered is a fact whoever holds the lease now; the owner is not checked.
        with self._transaction() as db:
            db.execute(self._q("UPDATE outbox SET state=?, delivered_at=?, leased_until=NULL, lease_owner=NULL "
                               "WHERE msg_id=? AND state=?"),
                       (DeliveryState.SENT.value, now, msg_id, DeliveryState.QUEUED.value))
            db.execute(self._q("UPDATE settlement SET state=?, updated=? WHERE msg_id=? AND state=?"),
                       (SettlementState.SENT.value, now, msg_id, SettlementState.QUEUED.value))

    def mark_retry(self, msg_id: str, *, owner: str, error: str, next_attempt_at: str, now: str) -> None:
        with self._transaction() as db:
            changed = db.execute(self._q(
                "UPDATE outbox SET last_error=?, next_attempt_at=?, leased_until=NULL, lease_owner=NULL "
                "WHERE msg_id=? AND state=? AND lease_owner=?"),
                (error, next_attempt_at, msg_id, DeliveryState.QUEUED.value, owner)).rowcount
            if changed:
                db.execute(self._q("UPDATE settlement SET last_error=?, updated=? WHERE msg_id=?"),
                           (error, now, msg_id))

    def mark_failed(self, msg_id: str, *, owner: str, error: str, now: str) -> None:
        with self._transaction() as db:
            changed = db.execute(self._q(
                "UPDATE outbox SET state=?, last_error=?, leased_until=NULL, lease_owner=NULL "
                "WHERE msg_id=? AND state=? AND lease_owner=?"),
                (DeliveryState.FAILED.value, error, msg_id, DeliveryState.QUEUED.value, owner)).rowcount
            if changed:
                db.execute(self._q("UPDATE settlement SET state=?, last_error=?, updated=? WHERE msg_id=? AND state=?"),
                           (SettlementState.FAILED.value, error, now, msg_id, SettlementState.QUEUED.value))


@functools.cache
def _placeholders(sql: str, param: str) -> str:
    # The statements here hold no literal "?", so a plain replace is exact.
    return sql if param == "?" else sql.replace("?", param)
