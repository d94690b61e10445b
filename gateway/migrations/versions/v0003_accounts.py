"""Accounting setups (regnskap, the clinic system's guide to municipal settlements): what a settlement batch is sent
for.

One row per account: its accounting type, the organisation number shown on receipts (the tenant it
belongs to), the account number paid into, the sending HER-id, its owner and the MsgHead type. The
whole account is kept as JSON in ``body`` beside the columns searched on, so a field added later
needs no migration.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-20
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_SQLITE = (
    """CREATE TABLE IF NOT EXISTS account (
    id TEXT PRIMARY KEY, organisation_number TEXT NOT NULL, accounting_type TEXT NOT NULL,
    owner TEXT NOT NULL, created TEXT NOT NULL, updated TEXT NOT NULL, body BLOB NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS account_by_organisation ON account (organisation_number, id)",
)

_POSTGRES = (
    """CREATE TABLE IF NOT EXISTS account (
    id TEXT COLLATE "C" PRIMARY KEY, organisation_number TEXT COLLATE "C" NOT NULL,
    accounting_type TEXT NOT NULL, owner TEXT NOT NULL, created TEXT COLLATE "C" NOT NULL,
    updated TEXT COLLATE "C" NOT NULL, body BYTEA NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS account_by_organisation ON account (organisation_number, id)",
)


# AppointmentResponses stored before they had a ``facility`` token get their appointment's, so that
# tenant-filtered searches (gateway/auth/tenancy.py) still find them. Plain SQL on both engines.
_RESPONSE_FACILITY = """INSERT INTO search_token (resource_type, id, name, value)
    SELECT DISTINCT 'AppointmentResponse', r.id, 'facility', f.value FROM search_token r
    JOIN search_token f ON f.resource_type = 'Appointment' AND f.id = r.value AND f.name = 'facility'
    WHERE r.resource_type = 'AppointmentResponse' AND r.name = 'appointment'
    AND NOT EXISTS (SELECT 1 FROM search_token x WHERE x.resource_type = 'AppointmentResponse'
                    AND x.id = r.id AND x.name = 'facility' AND x.value = f.value)"""


def upgrade() -> None:
    statements = _POSTGRES if op.get_bind().dialect.name == "postgresql" else _SQLITE
    for statement in (*statements, _RESPONSE_FACILITY):
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS account_by_organisation")
    op.execute("DROP TABLE IF EXISTS account")
