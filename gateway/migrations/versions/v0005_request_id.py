"""The request id of the push that made a settlement, kept with the settlement and its outbox row.

The outbox worker binds it while it delivers the row, so its log lines carry the same id as the
client's ``POST /settlements`` (``X-Request-Id``), whichever process delivers and however much later.
Nullable: rows from before this revision have none.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_TABLES = ("settlement", "outbox")


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in _TABLES:
        # SQLite has no ADD COLUMN IF NOT EXISTS; a revision runs once per database anyway.
        op.execute(f"ALTER TABLE {table} ADD COLUMN {'IF NOT EXISTS ' if postgres else ''}request_id TEXT")


def downgrade() -> None:
    for table in _TABLES:
        op.execute(f"ALTER TABLE {table} DROP COLUMN request_id")  # SQLite >= 3.35
