"""The SQL both audit log engines share: appending a chained batch and building query filters.

:func:`append_sqlite` and :func:`append_postgres` run inside a transaction the caller opened: the
booking store's own (so a push and its audit row commit together) or the audit log's. Appends are
serialised so that two writers never link to the same head: on SQLite the caller holds the only
write lock (``BEGIN IMMEDIATE``); on PostgreSQL a transaction-scoped advisory lock, taken just
before the insert, is held until commit (it needs no table privilege, unlike ``LOCK TABLE``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final

import orjson

from gateway.domain.audit import COLUMNS, AuditEntry
from gateway.domain.audit_chain import link
from gateway.ports.audit import AuditQuery

if TYPE_CHECKING:
    from psycopg import Connection

__all__ = ["HEAD", "SELECT", "append_postgres", "append_sqlite", "where_clause"]

SELECT: Final = f"SELECT {', '.join(COLUMNS)} FROM audit_log"  # noqa: S608 - fixed text
HEAD: Final = "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1"
_INSERT_SQLITE: Final = f"INSERT INTO audit_log ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"  # noqa: S608
_INSERT_PG: Final = (f"INSERT INTO audit_log ({', '.join(COLUMNS)}) "  # noqa: S608 - fixed text
                     f"VALUES ({', '.join(['%s'] * len(COLUMNS))})")
# Per schema, so that two gateways in two schemas of one database do not wait for each other.
_LOCK_PG: Final = "SELECT pg_advisory_xact_lock(7310422, hashtext(current_schema()))"


def append_sqlite(connection: sqlite3.Connection, entries: Sequence[AuditEntry]) -> None:
    if not entries:
        return
    head = connection.execute(HEAD).fetchone()
    connection.executemany(_INSERT_SQLITE, link(entries, (int(head[0]), str(head[1])) if head else None))


def append_postgres(connection: Connection[Any], entries: Sequence[AuditEntry]) -> None:
    if not entries:
        return
    connection.execute(_LOCK_PG)
    head = connection.execute(HEAD).fetchone()
    with connection.cursor() as cursor:
        cursor.executemany(_INSERT_PG, link(entries, (int(head[0]), str(head[1])) if head else None))


def where_clause(query: AuditQuery, *, placeholder: str, contains: str) -> tuple[str, list[object]]:
    """``WHERE …`` (or an empty string) and its parameters. ``contains`` is the engine's substring
    position function (``instr`` / ``strpos``): tenants are stored as a JSON array of strings."""
    p = placeholder
    where: list[str] = []
    params: list[object] = []
    if query.client:
        where.append(f"client_id = {p}")
        params.append(query.client)
    if query.action:
        if query.action.endswith(".*"):
            prefix = query.action[:-1]
            where.append(f"substr(action, 1, {len(prefix)}) = {p}")
            params.append(prefix)
        else:
            where.append(f"action = {p}")
            params.append(query.action)
    if query.since:
        where.append(f"at >= {p}")
        params.append(query.since)
    if query.until:
        where.append(f"at < {p}")
        params.append(query.until)
    if query.resource:
        kind, _, ident = query.resource.partition("/")
        test = f"resource_id = {p} OR message_id = {p}"
        params += [query.resource, query.resource]
        if ident:
            test += f" OR (resource_type = {p} AND resource_id = {p})"
            params += [kind, ident]
        where.append(f"({test})")
    if query.tenants is not None:
        if not query.tenants:
            where.append("1 = 0")
        else:
            where.append("(" + " OR ".join(f"{contains}(tenants, {p}) > 0" for _ in query.tenants) + ")")
            params += [orjson.dumps(tenant).decode() for tenant in sorted(query.tenants)]
    return (" WHERE " + " AND ".join(where)) if where else "", params
