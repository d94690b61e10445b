"""What the SQLite and the PostgreSQL settlement stores share: the row shapes and every statement
that both engines run alike, written once with ``?`` placeholders.

The engines differ only where concurrency is decided (claiming the outbox, locking a settlement
to record its AppRec) and in how a transaction is opened; those stay in
:mod:`gateway.store.settlement_sqlite` and :mod:`gateway.store.settlement_postgres`.

Bill claims are inserted with ``ON CONFLICT DO NOTHING`` against the partial unique indexes of
revision 0006 (both engines know the clause): a claim another transaction holds, committed or still
in flight (PostgreSQL makes the insert wait for it), is skipped instead of aborting the
transaction, so the rows that did not go in name exactly the bills already claimed. Then the whole
transaction is rolled back and :class:`~gateway.domain.settlement_records.ClaimsHeld` names their holders.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any, ClassVar, Final, TypeVar

import orjson

from gateway.domain.settlement_records import (
    AppRecOutcome,
    BillClaim,
    ClaimKind,
    ClaimsHeld,
    DeliveryState,
    HeldClaim,
    NewSettlement,
    OutboxItem,
    ReceiptError,
    SettlementRecord,
    SettlementState,
)

__all__ = [
    "APPREC_FROM", "OUTBOX_COLUMNS", "SELECT_SETTLEMENT", "SqlSettlementStore", "apprec_errors_json",
    "outbox_item", "settlement_record",
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


_CLAIM_COLUMNS: Final = "c.position, c.kind, c.guid, c.hpr, c.bill_number, c.settlement_id, s.msg_id"
_HELD_BY_GUID: Final = (f"SELECT {_CLAIM_COLUMNS} FROM bill_claim c JOIN settlement s ON s.id = c.settlement_id "  # noqa: S608
                        "WHERE c.released IS NULL AND c.guid IN ({guids})")
_HELD_BY_NUMBER: Final = (f"SELECT {_CLAIM_COLUMNS} FROM bill_claim c JOIN settlement s ON s.id = c.settlement_id "  # noqa: S608
                          "WHERE c.released IS NULL AND c.hpr IN ({hprs}) AND c.bill_number IN ({numbers})")
#: Claims per look-up statement: well under SQLite's limit of bound parameters.
_CHUNK: Final = 400


def apprec_errors_json(outcome: AppRecOutcome) -> str:
    """The ``apprec_errors`` column: every error in full (rows from before kept codes only)."""
    errors = outcome.errors or tuple(ReceiptError(code) for code in outcome.error_codes)
    return orjson.dumps([{"code": e.code, "text": e.text, "value": e.value, "system": e.system,
                          "bills": list(e.bills)} for e in errors]).decode()


def _apprec_outcome(status: int, errors_json: str | None, apprec_id: str | None) -> AppRecOutcome:
    errors: list[ReceiptError] = []
    for entry in orjson.loads(errors_json or "[]"):
        if isinstance(entry, str):  # written before issue 10: the code alone
            errors.append(ReceiptError(entry))
        else:
            errors.append(ReceiptError(entry.get("code"), entry.get("text"), entry.get("value"), entry.get("system"),
                                       tuple(entry.get("bills") or ())))
    return AppRecOutcome(status, tuple(e.code or "" for e in errors), apprec_id, tuple(errors))


def _held_claim(row: tuple[Any, ...]) -> HeldClaim:
    return HeldClaim(BillClaim(int(row[0]), ClaimKind(row[1]), row[2], row[3], row[4]), row[5], row[6])


def _chunks(claims: Sequence[BillClaim]) -> Iterator[Sequence[BillClaim]]:
    for start in range(0, len(claims), _CHUNK):
        yield claims[start:start + _CHUNK]


def settlement_record(row: tuple[Any, ...]) -> SettlementRecord:
    apprec = None
    if row[11] is not None:
        apprec = _apprec_outcome(int(row[11]), row[12], row[13])
    delivery = outbox_item(row[14:]) if row[14] is not None else None
    return SettlementRecord(
        id=row[0], state=SettlementState(row[1]), created=row[2], updated=row[3], verdicts=bytes(row[4]),
        totals=None if row[5] is None else bytes(row[5]), msg_id=row[6], receiver_her_id=row[7],
        has_message=bool(row[8]), error_code=row[9], last_error=row[10], apprec=apprec, delivery=delivery)


class SqlSettlementStore:
    """The shared half of a :class:`~gateway.ports.settlement.SettlementStore`. Subclasses give
    ``_transaction`` (one committed transaction), ``_read``, their placeholder ``_param`` and the
    ``_row_lock`` that locks the settlement row read by :meth:`record_apprec`."""

    _param = "?"
    #: Appended to the settlement read of :meth:`record_apprec`; empty where the transaction itself
    #: already keeps writers apart (SQLite's ``BEGIN IMMEDIATE``).
    _row_lock: ClassVar[str] = ""

    def _transaction(self) -> AbstractContextManager[Any]:
        raise NotImplementedError

    def _read(self, work: Callable[[Any], T]) -> T:
        raise NotImplementedError

    def _q(self, sql: str) -> str:
        return _placeholders(sql, self._param)

    # ------------------------------------------------------------------ settlements

    def add(self, settlement: NewSettlement, *, now: str, claims: Sequence[BillClaim] = ()) -> None:
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
            if claims:
                self._claim(db, s.id, claims)

    def _claim(self, db: Any, settlement_id: str, claims: Sequence[BillClaim]) -> None:
        """Insert the claims; raise :class:`ClaimsHeld` (the caller's transaction rolls back) when
        some were already held."""
        # One order for every writer, so two transactions claiming overlapping bills wait for each
        # other instead of each holding a part the other needs (PostgreSQL would abort one).
        ordered = sorted(claims, key=lambda c: (c.hpr, c.bill_number, c.kind.value, c.guid))
        cursor = db.cursor()
        try:
            cursor.executemany(self._q(
                "INSERT INTO bill_claim (settlement_id, position, kind, guid, hpr, bill_number) VALUES (?,?,?,?,?,?) "
                "ON CONFLICT DO NOTHING"),
                [(settlement_id, c.position, c.kind.value, c.guid, c.hpr, c.bill_number) for c in ordered])
        finally:
            cursor.close()
        made = {int(row[0]) for row in db.execute(self._q("SELECT position FROM bill_claim WHERE settlement_id = ?"),
                                                  (settlement_id,)).fetchall()}
        missing = [c for c in claims if c.position not in made]
        if missing:
            raise ClaimsHeld(tuple(self._held(db, missing)))

    def held_claims(self, claims: Sequence[BillClaim]) -> list[HeldClaim]:
        return self._read(lambda db: self._held(db, claims)) if claims else []

    def _held(self, db: Any, claims: Sequence[BillClaim]) -> list[HeldClaim]:
        by_number = {(c.hpr, c.bill_number, c.kind) for c in claims}
        by_guid = {(c.guid, c.kind) for c in claims}
        found: dict[tuple[str, int], HeldClaim] = {}
        for chunk in _chunks(claims):
            guids = sorted({c.guid for c in chunk})
            hprs = sorted({c.hpr for c in chunk})
            numbers = sorted({c.bill_number for c in chunk})
            rows = [*self._look_up(db, self._q(_HELD_BY_GUID.format(guids=_marks(guids))), guids),
                    *self._look_up(db, self._q(_HELD_BY_NUMBER.format(hprs=_marks(hprs), numbers=_marks(numbers))),
                                   [*hprs, *numbers])]
            for row in rows:
                held = _held_claim(row)
                c = held.claim
                if (c.hpr, c.bill_number, c.kind) in by_number or (c.guid, c.kind) in by_guid:
                    found[(held.settlement_id, c.position)] = held
        return sorted(found.values(), key=lambda h: (h.settlement_id, h.claim.position))

    def _look_up(self, db: Any, sql: str, params: Sequence[str]) -> list[tuple[Any, ...]]:
        """Run one claim look-up (many parameters, a new list each time)."""
        return list(db.execute(sql, params).fetchall())

    def record_apprec(self, msg_id: str, outcome: AppRecOutcome, state: SettlementState, *,
                      now: str, release: Collection[int] = ()) -> tuple[SettlementRecord | None, bool]:
        select = self._q(f"{SELECT_SETTLEMENT} WHERE s.msg_id = ?")
        with self._transaction() as db:
            # The row lock makes "not recorded yet → record it" one step for concurrent receivers.
            row = db.execute(f"{select}{self._row_lock}", (msg_id,)).fetchone()
            if row is None:
                return None, False
            record = settlement_record(row)
            if record.apprec is not None or record.state.value not in APPREC_FROM:
                return record, False
            self._write_apprec(db, record, outcome, state, now=now, release=release)
            row = db.execute(select, (msg_id,)).fetchone()
        return (settlement_record(row) if row else None), True

    def _write_apprec(self, db: Any, record: SettlementRecord, outcome: AppRecOutcome, state: SettlementState, *,
                      now: str, release: Collection[int]) -> None:
        """The writes of a first AppRec, in the caller's transaction, after it has checked that the
        settlement takes one: outcome, delivery proven, and the rejected bills' claims released."""
        db.execute(self._q(
            "UPDATE settlement SET state=?, updated=?, apprec_status=?, apprec_errors=?, apprec_id=?, apprec_at=? "
            "WHERE id=?"),
            (state.value, now, outcome.status, apprec_errors_json(outcome), outcome.apprec_id, now, record.id))
        # A receipt proves delivery: a row still queued (or given up on) must not be sent again.
        db.execute(self._q("UPDATE outbox SET state=?, delivered_at=COALESCE(delivered_at, ?), leased_until=NULL, "
                           "lease_owner=NULL WHERE msg_id=? AND state<>?"),
                   (DeliveryState.SENT.value, now, record.msg_id, DeliveryState.SENT.value))
        positions = sorted(release)
        for start in range(0, len(positions), _CHUNK):
            part = positions[start:start + _CHUNK]
            db.execute(self._q(f"UPDATE bill_claim SET released=?, released_by=? WHERE settlement_id=? "  # noqa: S608
                               f"AND released IS NULL AND position IN ({_marks(part)})"),
                       (now, outcome.apprec_id or record.msg_id, record.id, *part))

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


def _marks(values: Sequence[object]) -> str:
    return ",".join("?" * len(values))


@functools.cache
def _placeholders(sql: str, param: str) -> str:
    # The statements here hold no literal "?", so a plain replace is exact.
    return sql if param == "?" else sql.replace("?", param)
