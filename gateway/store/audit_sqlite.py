"""The audit log on SQLite: the same database file as the booking store, its own connection.

Used by the HTTP query and export routes, the CLI and the tests; the running gateway *appends*
through the booking store's writer instead (:mod:`gateway.audit.recorder`), so audit rows never
compete with pushes for SQLite's one write lock. Reads are rare, so one connection under a lock.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

from gateway.domain.audit import AuditEntry, AuditRow
from gateway.domain.audit_chain import ChainReport, verify
from gateway.ports.audit import AuditPage, AuditQuery
from gateway.primitives.errors import ConfigurationError
from gateway.store.audit_sql import HEAD, SELECT, append_sqlite, where_clause
from gateway.store.migrate import ensure_sqlite_schema

__all__ = ["SQLiteAuditLog"]


class SQLiteAuditLog:
    """Implements :class:`~gateway.ports.audit.AuditLog` on SQLite."""

    def __init__(self, path: Path | str) -> None:
        self._path = str(path)
        if self._path != ":memory:" and not Path(self._path).parent.is_dir():
            raise ConfigurationError("DATABASE_PATH_INVALID",
                                     f"folder {Path(self._path).parent} for the database does not exist")
        try:
            self._db = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False, timeout=30.0)
        except sqlite3.Error as exc:
            raise ConfigurationError("DATABASE_UNREADABLE", f"cannot open SQLite database {self._path}: {exc}") \
                from None
        if self._path != ":memory:":
            self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        ensure_sqlite_schema(self._db)
        self._lock = threading.Lock()

    def append(self, entries: Sequence[AuditEntry]) -> None:
        if not entries:
            return
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                append_sqlite(self._db, entries)
                self._db.execute("COMMIT")
            except BaseException:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise

    def query(self, query: AuditQuery) -> AuditPage:
        where, params = where_clause(query, placeholder="?", contains="instr")
        with self._lock:
            total = self._db.execute(f"SELECT COUNT(*) FROM audit_log{where}", params).fetchone()[0]  # noqa: S608
            rows = self._db.execute(f"{SELECT}{where} ORDER BY seq LIMIT ? OFFSET ?",
                                    [*params, query.count, query.offset]).fetchall()
        return AuditPage([AuditRow.of(row) for row in rows], int(total))

    def export(self, query: AuditQuery, *, chunk: int = 1000) -> Iterator[AuditRow]:
        where, params = where_clause(query, placeholder="?", contains="instr")
        glue = " AND " if where else " WHERE "
        after = 0
        while True:
            # Keyset paging by seq: no cursor or transaction stays open while the client reads.
            with self._lock:
                rows = self._db.execute(f"{SELECT}{where}{glue}seq > ? ORDER BY seq LIMIT ?",
                                        [*params, after, chunk]).fetchall()
            for row in rows:
                yield AuditRow.of(row)
            if len(rows) < chunk:
                return
            after = int(rows[-1][0])

    def head(self) -> tuple[int, str] | None:
        with self._lock:
            row = self._db.execute(HEAD).fetchone()
        return (int(row[0]), str(row[1])) if row else None

    def verify(self) -> ChainReport:
        return verify(self.export(AuditQuery()))

    def close(self) -> None:
        with self._lock:
            self._db.close()
