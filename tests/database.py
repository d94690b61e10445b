"""Which database engine the suite runs on, and a fresh database per test on it.

Without ``NORDGATE_TEST_DATABASE_URL`` (or with an ``sqlite:`` one) every test database is an
SQLite file in the test's ``tmp_path`` (or ``:memory:``). With
``NORDGATE_TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test`` every test database is a
schema of its own on that server, reached through a URL whose ``options`` set ``search_path`` to it.
A schema is made with the real migrations (as ``nordgate db upgrade`` would make it); after the test
its rows are deleted and it goes back to a free list for the next test, because creating and
dropping tables costs about half a second a test on a busy server and deleting a few rows costs a
few milliseconds. Schemas left at another revision, or that cannot be emptied, are dropped; the
rest are dropped when the session ends.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from urllib.parse import quote

from gateway.primitives.database_url import DatabaseURL, parse_database_url

__all__ = [
    "TEST_DATABASE_ENV",
    "database_url_for",
    "drop_free_schemas",
    "release_schemas",
    "server_url",
    "store_url_for",
]

TEST_DATABASE_ENV = "NORDGATE_TEST_DATABASE_URL"
_SCHEMA_PREFIX = "nordgate_test_"
# Schemas in use by the running test: (tmp_path, name) → (schema, URL), so that every helper of one
# test asking for the same database gets the same one; and emptied schemas waiting for the next test.
_schemas: dict[tuple[Path, str], tuple[str, str]] = {}
_free: list[tuple[str, str]] = []
# Children first: outbox rows and bill claims reference settlements.
_EMPTY = ("DELETE FROM account; DELETE FROM bill_claim; DELETE FROM outbox; DELETE FROM settlement; "
          "DELETE FROM receipt; DELETE FROM search_token; "
          "DELETE FROM resource_history; DELETE FROM resource; "
          # The audit table refuses DELETE (revision 0004): the tests' role owns it and lifts its
          # triggers inside this transaction only (ALTER TABLE is transactional).
          "ALTER TABLE audit_log DISABLE TRIGGER USER; DELETE FROM audit_log; "
          "ALTER TABLE audit_log ENABLE TRIGGER USER")


def server_url() -> DatabaseURL | None:
    """The PostgreSQL server tests run on, or None: the suite runs on SQLite."""
    value = os.environ.get(TEST_DATABASE_ENV, "").strip()
    if not value:
        return None
    url = parse_database_url(value)
    return url if url.engine == "postgresql" else None


def _with_search_path(url: str, schema: str) -> str:
    option = "options=" + quote(f"-csearch_path={schema}", safe="")
    return f"{url}{'&' if '?' in url else '?'}{option}"


def _new_schema(server: DatabaseURL) -> tuple[str, str]:
    import psycopg  # noqa: PLC0415 - only on PostgreSQL runs

    from gateway.store.migrate import upgrade  # noqa: PLC0415

    schema = f"{_SCHEMA_PREFIX}{uuid.uuid4().hex[:16]}"
    with psycopg.connect(server.conninfo, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
    url = _with_search_path(server.url, schema)
    upgrade(parse_database_url(url))
    return schema, url


def database_url_for(tmp_path: Path, name: str = "gateway.db") -> str:
    """The database URL of the test owning ``tmp_path``: one per test, fresh, at the schema head on
    PostgreSQL (an SQLite file upgrades itself when the gateway opens it)."""
    server = server_url()
    if server is None:
        return f"sqlite:///{tmp_path / name}"
    key = (tmp_path, name)
    if key not in _schemas:
        _schemas[key] = _free.pop() if _free else _new_schema(server)
    return _schemas[key][1]


def store_url_for(tmp_path: Path) -> str:
    """Like :func:`database_url_for`, but SQLite in memory: for tests that open one store once."""
    return "sqlite:///:memory:" if server_url() is None else database_url_for(tmp_path)


def release_schemas() -> None:
    """After a test: empty the schemas it used and keep them for the next tests."""
    server = server_url()
    if server is None or not _schemas:
        return
    import psycopg  # noqa: PLC0415

    from gateway.store.migrate import head_revision  # noqa: PLC0415

    with psycopg.connect(server.conninfo, autocommit=True) as connection:
        # A connection a test left inside a transaction must not hang the suite.
        connection.execute("SET lock_timeout = '5s'")
        for schema, url in _schemas.values():
            try:
                with connection.transaction():
                    connection.execute(f'SET LOCAL search_path = "{schema}"')
                    row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
                    if row is None or row[0] != head_revision():
                        raise LookupError(schema)  # a test moved its schema: not reusable
                    connection.execute(_EMPTY)
                _free.append((schema, url))
            except (psycopg.Error, LookupError):
                connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    _schemas.clear()


def drop_free_schemas() -> None:
    """At the end of the session."""
    server = server_url()
    if server is None or not _free:
        return
    import psycopg  # noqa: PLC0415

    with psycopg.connect(server.conninfo, autocommit=True) as connection:
        for schema, _ in _free:
            connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    _free.clear()
