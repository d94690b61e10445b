"""Schema migrations (Alembic, ``gateway/migrations``) for both engines, and the start-up check.

- SQLite, the embedded default: a store opening a file (or ``:memory:``) upgrades it to the head
  revision itself, on its own connection, so ``nordgate serve`` on a fresh machine just works. A file
  made before migrations existed already holds the first revision's tables and is adopted.
- PostgreSQL, shared by several processes: nothing upgrades implicitly. The gateway refuses to
  start on a schema that is behind (or ahead, or missing) and names the command that fixes it:
  ``nordgate db upgrade``. Schema changes on a shared server are an operator's decision.

The revision is read with plain SQL (no SQLAlchemy) so the check costs one query at start-up;
Alembic and SQLAlchemy are imported only when something is really migrated.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gateway.primitives.database_url import DatabaseURL
from gateway.primitives.errors import ConfigurationError

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy.engine import Engine

__all__ = [
    "UPGRADE_COMMAND",
    "current_revision",
    "ensure_sqlite_schema",
    "head_revision",
    "known_revisions",
    "require_current",
    "stamp",
    "upgrade",
]

UPGRADE_COMMAND = "nordgate db upgrade"
_SCRIPTS = Path(__file__).resolve().parent.parent / "migrations"


def _config(connection: Any = None) -> Config:
    from alembic.config import Config  # noqa: PLC0415 - Alembic only when migrating

    config = Config()
    config.set_main_option("script_location", str(_SCRIPTS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@lru_cache(maxsize=1)
def _revisions() -> tuple[str, tuple[str, ...]]:
    from alembic.script import ScriptDirectory  # noqa: PLC0415

    scripts = ScriptDirectory.from_config(_config())
    head = scripts.get_current_head()
    if head is None:
        raise ConfigurationError("DATABASE_MIGRATIONS_MISSING", f"no schema revisions in {_SCRIPTS}")
    return head, tuple(script.revision for script in scripts.walk_revisions())


def head_revision() -> str:
    """The revision this build's code expects."""
    return _revisions()[0]


def known_revisions() -> tuple[str, ...]:
    """Every revision of this build, newest first."""
    return _revisions()[1]


# ------------------------------------------------------------------------------ reading the revision

def _sqlite_revision(connection: sqlite3.Connection) -> str | None:
    exists = connection.execute(
        "SELECT 1 FROM sqlite_master WHERE type='table' AND name='alembic_version'").fetchone()
    if not exists:
        return None
    row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    return str(row[0]) if row else None


def _postgres_revision(conninfo: str) -> str | None:
    import psycopg  # noqa: PLC0415

    with psycopg.connect(conninfo, autocommit=True) as connection:
        # to_regclass follows search_path, as Alembic's unqualified version table does.
        row = connection.execute("SELECT to_regclass('alembic_version') IS NOT NULL").fetchone()
        if not row or not row[0]:
            return None
        version = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    return str(version[0]) if version else None


def current_revision(url: DatabaseURL) -> str | None:
    """The database's revision; None for a database without the gateway's schema."""
    try:
        if url.engine == "postgresql":
            return _postgres_revision(url.conninfo)
        with _sqlite_connection(url.sqlite_path) as connection:
            return _sqlite_revision(connection)
    except ConfigurationError:
        raise
    except Exception as exc:  # psycopg.Error / sqlite3.Error: say where, never the password
        raise ConfigurationError("DATABASE_UNREADABLE",
                                 f"cannot read the schema revision of {url.masked}: {_first_line(exc)}") from None


def require_current(url: DatabaseURL) -> None:
    """Refuse to run on a database whose schema is not exactly this build's head."""
    current, head = current_revision(url), head_revision()
    if current == head:
        return
    if current is None:
        problem = "has no nordgate schema yet"
    elif current in known_revisions():
        problem = f"has schema revision {current}, behind this build's {head}"
    else:
        raise ConfigurationError("DATABASE_SCHEMA_AHEAD", f"database {url.masked} has schema revision {current}, "
                                 f"which this build ({head}) does not know: run a newer nordgate")
    raise ConfigurationError("DATABASE_SCHEMA_BEHIND",
                             f"database {url.masked} {problem}: run `{UPGRADE_COMMAND}` (with the same "
                             "NORDGATE_DATABASE_URL) before starting the gateway")


# ---------------------------------------------------------------------------------------- migrating

def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


@contextmanager
def _sqlite_connection(path: str) -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(path, isolation_level=None, timeout=30.0)
    try:
        yield connection
    finally:
        connection.close()


def _sqlite_engine(connect: Callable[[], sqlite3.Connection], *, shared: bool) -> Engine:
    from sqlalchemy import create_engine, event  # noqa: PLC0415
    from sqlalchemy.pool import NullPool, StaticPool  # noqa: PLC0415

    engine = create_engine("sqlite://", creator=connect, poolclass=StaticPool if shared else NullPool)

    # The sqlite3 module would not open a transaction before DDL; BEGIN IMMEDIATE makes a migration
    # atomic and makes a second process opening the same fresh file wait, then find it upgraded.
    @event.listens_for(engine, "connect")
    def _autocommit_driver(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin_immediate(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _engine(url: DatabaseURL) -> Engine:
    from sqlalchemy import create_engine  # noqa: PLC0415
    from sqlalchemy.pool import NullPool  # noqa: PLC0415

    if url.engine == "postgresql":
        import psycopg  # noqa: PLC0415

        conninfo = url.conninfo
        return create_engine("postgresql+psycopg://", creator=lambda: psycopg.connect(conninfo), poolclass=NullPool)
    path = url.sqlite_path
    return _sqlite_engine(lambda: sqlite3.connect(path, timeout=30.0), shared=False)


def _command(url: DatabaseURL, action: Callable[[Config], None]) -> None:
    engine = _engine(url)
    try:
        with engine.begin() as connection:  # one transaction: all of the migration or none
            action(_config(connection))
    except ConfigurationError:
        raise
    except Exception as exc:
        raise ConfigurationError("DATABASE_MIGRATION_FAILED",
                                 f"migrating {url.masked} failed: {_first_line(exc)}") from exc
    finally:
        engine.dispose()


def upgrade(url: DatabaseURL, revision: str = "head") -> tuple[str | None, str | None]:
    """Upgrade to ``revision``; returns the revisions before and after."""
    from alembic import command  # noqa: PLC0415

    before = current_revision(url)
    _command(url, lambda config: command.upgrade(config, revision))
    return before, current_revision(url)


def stamp(url: DatabaseURL, revision: str) -> None:
    """Record ``revision`` without running anything (adopting a database; tests of old schemas)."""
    from alembic import command  # noqa: PLC0415

    _command(url, lambda config: command.stamp(config, revision, purge=True))


def ensure_sqlite_schema(connection: sqlite3.Connection) -> None:
    """Upgrade the SQLite database behind ``connection`` to head, on that very connection (the only
    way to reach a ``:memory:`` database). One query when it is current already."""
    current = _sqlite_revision(connection)
    head = head_revision()
    if current == head:
        return
    if current is not None and current not in known_revisions():
        raise ConfigurationError("DATABASE_SCHEMA_AHEAD", f"this SQLite database has schema revision {current}, "
                                 f"which this build ({head}) does not know: run a newer nordgate")
    from alembic import command  # noqa: PLC0415

    # The connection is the store's: the engine must not close it, so it is never disposed.
    engine = _sqlite_engine(lambda: connection, shared=True)
    try:
        with engine.begin() as sa_connection:
            command.upgrade(_config(sa_connection), "head")
    except Exception as exc:
        raise ConfigurationError("DATABASE_MIGRATION_FAILED",
                                 f"upgrading the SQLite database failed: {_first_line(exc)}") from exc
