"""Which stores a database URL opens: the one place that knows both engines.

``sqlite:///…`` opens the embedded stores, which upgrade their file to the current schema as they
open it; ``postgresql://…`` opens the PostgreSQL stores, after checking that an operator has
upgraded the schema (``nordgate db upgrade``): a shared database is never migrated implicitly.
"""

from __future__ import annotations

from gateway.ports.settlement import SettlementStore
from gateway.ports.store import Store
from gateway.primitives.database_url import DatabaseURL, parse_database_url

__all__ = ["as_database_url", "open_settlement_store", "open_store", "require_schema"]


def as_database_url(url: DatabaseURL | str) -> DatabaseURL:
    return url if isinstance(url, DatabaseURL) else parse_database_url(url)


def require_schema(url: DatabaseURL | str) -> None:
    """Start-up check: PostgreSQL must be at this build's schema revision (SQLite upgrades itself)."""
    from gateway.store.migrate import require_current  # noqa: PLC0415

    database = as_database_url(url)
    if database.engine == "postgresql":
        require_current(database)


def open_store(url: DatabaseURL | str, *, pool_size: int = 8) -> Store:
    database = as_database_url(url)
    if database.engine == "postgresql":
        from gateway.store.postgres import PostgresStore  # noqa: PLC0415 - psycopg only when used

        return PostgresStore(database, pool_size=pool_size)
    from gateway.store.sqlite import SQLiteStore  # noqa: PLC0415

    return SQLiteStore(database.sqlite_path)


def open_settlement_store(url: DatabaseURL | str) -> SettlementStore:
    database = as_database_url(url)
    if database.engine == "postgresql":
        from gateway.store.settlement_postgres import PostgresSettlementStore  # noqa: PLC0415

        return PostgresSettlementStore(database)
    from gateway.store.settlement_sqlite import SQLiteSettlementStore  # noqa: PLC0415

    return SQLiteSettlementStore(database.sqlite_path)
