"""Alembic's environment for the gateway: run by :mod:`gateway.store.migrate` with an open connection.

There is no ``alembic.ini`` and no ``sqlalchemy.url``: the caller hands over a SQLAlchemy connection
(``config.attributes["connection"]``) made from the gateway's own database URL, so the migration
runs on exactly the database (and, on PostgreSQL, the ``search_path``) the gateway will use.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import text
from sqlalchemy.engine import Connection

# Any fixed number: PostgreSQL advisory lock held while migrating, so that two processes running
# `nordgate db upgrade` at once do not both create the tables.
_MIGRATION_LOCK = 7_310_422_001


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=None, transaction_per_migration=False,
                      # SQLite cannot ALTER most things in place; batch mode copies tables instead.
                      render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            connection.execute(text(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK})"))
        context.run_migrations()


def _main() -> None:
    connection = context.config.attributes.get("connection")
    if not isinstance(connection, Connection):
        raise RuntimeError("run migrations with `nordgate db upgrade`, not the alembic command")
    _run(connection)


_main()
