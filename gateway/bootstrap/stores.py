"""Which stores a database URL opens, and the audit recorder: the one place that knows both engines.

``sqlite:///…`` opens the embedded stores, which upgrade their file to the current schema as they
open it; ``postgresql://…`` opens the PostgreSQL stores, after checking that an operator has
upgraded the schema (``nordgate db upgrade``): a shared database is never migrated implicitly.
The PostgreSQL store modules import psycopg only when they open a pool (gateway/store/pg.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, cast

from gateway.audit.head_journal import HeadJournal
from gateway.audit.recorder import AuditRecorder, Sink
from gateway.domain.audit import AuditEntry
from gateway.ports.accounts import AccountStore
from gateway.ports.audit import AuditLog
from gateway.ports.settlement import SettlementStore
from gateway.ports.store import Store
from gateway.primitives.database_url import DatabaseURL, parse_database_url
from gateway.store.accounts import PostgresAccountStore, SQLiteAccountStore
from gateway.store.audit_postgres import PostgresAuditLog
from gateway.store.audit_sqlite import SQLiteAuditLog
from gateway.store.group_commit import GroupCommitWriter
from gateway.store.migrate import require_current
from gateway.store.postgres import PostgresStore
from gateway.store.settlement_postgres import PostgresSettlementStore
from gateway.store.settlement_sqlite import SQLiteSettlementStore
from gateway.store.sqlite import SQLiteStore

__all__ = ["as_database_url", "build_recorder", "open_account_store", "open_audit_log", "open_settlement_store",
           "open_store", "require_schema", "writer_sink"]

_APPEND_TIMEOUT_S = 60.0


def as_database_url(url: DatabaseURL | str) -> DatabaseURL:
    return url if isinstance(url, DatabaseURL) else parse_database_url(url)


def require_schema(url: DatabaseURL | str) -> None:
    """Start-up check: PostgreSQL must be at this build's schema revision (SQLite upgrades itself)."""
    database = as_database_url(url)
    if database.engine == "postgresql":
        require_current(database)


def _open(url: DatabaseURL | str, sqlite: Callable[[str], Any], postgres: Callable[[DatabaseURL], Any]) -> Any:
    """The engine's implementation of a port; each caller's return type names the port."""
    database = as_database_url(url)
    return postgres(database) if database.engine == "postgresql" else sqlite(database.sqlite_path)


def open_store(url: DatabaseURL | str, *, pool_size: int = 8) -> Store:
    return cast(Store, _open(url, SQLiteStore, lambda database: PostgresStore(database, pool_size=pool_size)))


def open_settlement_store(url: DatabaseURL | str) -> SettlementStore:
    return cast(SettlementStore, _open(url, SQLiteSettlementStore, PostgresSettlementStore))


def open_audit_log(url: DatabaseURL | str) -> AuditLog:
    return cast(AuditLog, _open(url, SQLiteAuditLog, PostgresAuditLog))


def open_account_store(url: DatabaseURL | str) -> AccountStore:
    return cast(AccountStore, _open(url, SQLiteAccountStore, PostgresAccountStore))


def writer_sink(writer: GroupCommitWriter) -> Sink:
    """Appends as one more unit of work of the booking store's group commit (durable on return)."""
    def sink(entries: Sequence[AuditEntry]) -> None:
        rows = tuple(entries)

        def unit_of_work(session: Any) -> None:
            session.append_audit(rows)

        writer.submit(unit_of_work).result(timeout=_APPEND_TIMEOUT_S)
    return sink


def build_recorder(url: DatabaseURL, writer: GroupCommitWriter, audit_log: AuditLog, *,
                   journal: HeadJournal | None = None) -> AuditRecorder:
    # An in-memory SQLite database is private to its connection: the store's is not the audit
    # log's, so rows go to the audit log itself and pushes are audited after their commit.
    memory = url.engine == "sqlite" and url.sqlite_path == ":memory:"
    sink: Sink = audit_log.append if memory else writer_sink(writer)
    # The chain's head, published outside the database (NORDGATE_AUDIT_HEAD_FILE, head_journal.py).
    after = (lambda: journal.maybe_publish(audit_log.head)) if journal is not None else None
    return AuditRecorder(sink, in_transaction=not memory, after_flush=after)
