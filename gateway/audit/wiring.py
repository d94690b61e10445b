"""Opening the audit log of a database URL, and the recorder a running gateway appends through."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from gateway.audit.recorder import AuditRecorder, Sink
from gateway.domain.audit import AuditEntry
from gateway.ports.audit import AuditLog
from gateway.primitives.database_url import DatabaseURL, parse_database_url
from gateway.store.group_commit import GroupCommitWriter

__all__ = ["build_recorder", "open_audit_log", "writer_sink"]

_APPEND_TIMEOUT_S = 60.0


def open_audit_log(url: DatabaseURL | str) -> AuditLog:
    database = url if isinstance(url, DatabaseURL) else parse_database_url(url)
    if database.engine == "postgresql":
        from gateway.store.audit_postgres import PostgresAuditLog  # noqa: PLC0415 - psycopg only when used

        return PostgresAuditLog(database)
    from gateway.store.audit_sqlite import SQLiteAuditLog  # noqa: PLC0415

    return SQLiteAuditLog(database.sqlite_path)


def writer_sink(writer: GroupCommitWriter) -> Sink:
    """Appends as one more unit of work of the booking store's group commit (durable on return)."""
    def sink(entries: Sequence[AuditEntry]) -> None:
        rows = tuple(entries)

        def unit_of_work(session: Any) -> None:
            session.append_audit(rows)

        writer.submit(unit_of_work).result(timeout=_APPEND_TIMEOUT_S)
    return sink


def build_recorder(url: DatabaseURL, writer: GroupCommitWriter, audit_log: AuditLog) -> AuditRecorder:
    # An in-memory SQLite database is private to its connection: the store's is not the audit
    # log's, so rows go to the audit log itself and pushes are audited after their commit.
    memory = url.engine == "sqlite" and url.sqlite_path == ":memory:"
    sink: Sink = audit_log.append if memory else writer_sink(writer)
    return AuditRecorder(sink, in_transaction=not memory)
