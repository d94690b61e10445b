"""The home of accounts: one table (migration 0003) on SQLite or PostgreSQL.

Accounts change rarely and are read once per settlement, so both implementations are plain: the
SQLite one serialises through one connection under a lock (as the settlement store does), the
PostgreSQL one takes a connection from a small pool per call. Each method is one transaction.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import orjson

from gateway.domain.accounts import AccountRecord
from gateway.primitives.database_url import DatabaseURL
from gateway.primitives.errors import ConfigurationError
from gateway.store.migrate import ensure_sqlite_schema

__all__ = ["PostgresAccountStore", "SQLiteAccountStore"]

_COLUMNS = "id, organisation_number, accounting_type, owner, created, updated, body"


def _row(record: AccountRecord) -> tuple[Any, ...]:
    return (record.id, record.organisation_number, record.accounting_type.value, record.owner, record.created,
            record.updated, orjson.dumps(record.body()))


def _record(body: Any) -> AccountRecord:
    return AccountRecord.from_body(orjson.loads(bytes(body)))


class _SqlAccountStore:
    """The SQL both engines share; ``_param`` is the driver's placeholder."""

    _param = "?"

    def _execute(self, sql: str, params: Sequence[Any], *, fetch: bool = False) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def _sql(self, text: str) -> str:
        return text.replace("?", self._param)

    def add(self, record: AccountRecord) -> None:
        self._execute(self._sql(f"INSERT INTO account ({_COLUMNS}) VALUES (?,?,?,?,?,?,?)"),  # noqa: S608 - fixed text
                      _row(record))

    def get(self, account_id: str) -> AccountRecord | None:
        rows = self._execute(self._sql("SELECT body FROM account WHERE id = ?"), (account_id,), fetch=True)
        return _record(rows[0][0]) if rows else None

    def of_organisations(self, organisations: Iterable[str] | None) -> list[AccountRecord]:
        if organisations is None:
            rows = self._execute("SELECT body FROM account ORDER BY organisation_number, id", (), fetch=True)
        else:
            wanted = sorted(set(organisations))
            if not wanted:
                return []
            marks = ",".join("?" * len(wanted))
            rows = self._execute(self._sql(f"SELECT body FROM account WHERE organisation_number IN ({marks}) "  # noqa: S608
                                           "ORDER BY organisation_number, id"), wanted, fetch=True)
        return [_record(row[0]) for row in rows]

    def update(self, record: AccountRecord) -> None:
        row = _row(record)
        self._execute(self._sql("UPDATE account SET owner = ?, updated = ?, body = ? WHERE id = ?"),
                      (row[3], row[5], row[6], record.id))

    def delete(self, account_id: str) -> bool:
        rows = self._execute(self._sql("DELETE FROM account WHERE id = ? RETURNING id"), (account_id,), fetch=True)
        return bool(rows)


class SQLiteAccountStore(_SqlAccountStore):
    def __init__(self, path: str) -> None:
        if path != ":memory:" and not Path(path).parent.is_dir():
            raise ConfigurationError("DATABASE_PATH_INVALID", f"folder {Path(path).parent} for the database does "
                                     "not exist")
        try:
            self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30.0)
            if path != ":memory:":
                self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            ensure_sqlite_schema(self._db)
        except sqlite3.Error as exc:
            raise ConfigurationError("DATABASE_UNREADABLE", f"cannot open SQLite database {path}: {exc}") from None
        self._lock = threading.Lock()

    def _execute(self, sql: str, params: Sequence[Any], *, fetch: bool = False) -> list[tuple[Any, ...]]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                rows = self._db.execute(sql, tuple(params)).fetchall()
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        return rows if fetch else []

    def close(self) -> None:
        with self._lock:
            self._db.close()


class PostgresAccountStore(_SqlAccountStore):
    _param = "%s"

    def __init__(self, url: DatabaseURL) -> None:
        from gateway.store.pg import open_pool  # noqa: PLC0415 - psycopg only on PostgreSQL

        self._pool = open_pool(url, name="nordgate-accounts", min_size=1, max_size=2)

    def _execute(self, sql: str, params: Sequence[Any], *, fetch: bool = False) -> list[tuple[Any, ...]]:
        with self._pool.connection() as connection, connection.transaction():
            cursor = connection.execute(sql, tuple(params))
            return cursor.fetchall() if fetch else []

    def close(self) -> None:
        self._pool.close()
