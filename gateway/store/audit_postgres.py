"""The audit log on PostgreSQL: a small pool of its own, beside the stores' pools.

As on SQLite, the running gateway appends through the booking store's writer
(:mod:`gateway.audit.recorder`); this class answers queries and exports, verifies, and appends for
the CLI and tests. Appends from every process are serialised by the advisory lock of
:func:`~gateway.store.audit_sql.append_postgres`, held only from the insert to the commit.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from gateway.domain.audit import AuditEntry, AuditRow
from gateway.domain.audit_chain import ChainReport, verify
from gateway.ports.audit import AuditPage, AuditQuery
from gateway.primitives.database_url import DatabaseURL
from gateway.store.audit_sql import HEAD, SELECT, append_postgres, where_clause
from gateway.store.pg import open_pool

__all__ = ["PostgresAuditLog"]


class PostgresAuditLog:
    """Implements :class:`~gateway.ports.audit.AuditLog` on PostgreSQL."""

    def __init__(self, url: DatabaseURL, *, pool_size: int = 2) -> None:
        self._pool = open_pool(url, name="nordgate-audit", min_size=1, max_size=pool_size)

    def append(self, entries: Sequence[AuditEntry]) -> None:
        if not entries:
            return
        with self._pool.connection() as connection, connection.transaction():
            append_postgres(connection, entries)

    def query(self, query: AuditQuery) -> AuditPage:
        where, params = where_clause(query, placeholder="%s", contains="strpos")
        with self._pool.connection() as connection, connection.transaction():
            total_row = connection.execute(f"SELECT COUNT(*) FROM audit_log{where}", params).fetchone()  # noqa: S608
            rows = connection.execute(f"{SELECT}{where} ORDER BY seq LIMIT %s OFFSET %s",
                                      [*params, query.count, query.offset]).fetchall()
        return AuditPage([AuditRow.of(row) for row in rows], int(total_row[0]) if total_row else 0)

    def export(self, query: AuditQuery, *, chunk: int = 1000) -> Iterator[AuditRow]:
        where, params = where_clause(query, placeholder="%s", contains="strpos")
        glue = " AND " if where else " WHERE "
        after = 0
        while True:
            # Keyset paging by seq: a connection is held per chunk, never while the client reads.
            with self._pool.connection() as connection:
                rows = connection.execute(f"{SELECT}{where}{glue}seq > %s ORDER BY seq LIMIT %s",
                                          [*params, after, chunk]).fetchall()
            for row in rows:
                yield AuditRow.of(row)
            if len(rows) < chunk:
                return
            after = int(rows[-1][0])

    def head(self) -> tuple[int, str] | None:
        with self._pool.connection() as connection:
            row = connection.execute(HEAD).fetchone()
        return (int(row[0]), str(row[1])) if row else None

    def verify(self) -> ChainReport:
        return verify(self.export(AuditQuery()))

    def close(self) -> None:
        self._pool.close()
