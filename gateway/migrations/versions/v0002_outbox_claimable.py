"""An index of the outbox rows a worker may claim: queued ones, by due time.

Workers poll every second; on a table where nearly every row is ``sent`` the claim query should
read only the queued ones. Partial indexes exist on both engines.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-01
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE INDEX IF NOT EXISTS outbox_claimable ON outbox (next_attempt_at) WHERE state = 'queued'")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS outbox_claimable")
