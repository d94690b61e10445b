"""The tables of the first release: bookings store (resources, history, search tokens, receipts)
and settlement store (settlements, outbox).

On SQLite these are exactly the tables the stores used to create at open, with ``IF NOT EXISTS``
so that a database made before migrations existed is adopted as it is (and stamped). On PostgreSQL
blobs are ``bytea`` and keys compare byte-wise (``COLLATE "C"``), as SQLite's do, so search order and
range conditions on tokens give the same answers on both engines.

Revision ID: 0001
Revises:
Create Date: 2026-11-01
"""

from __future__ import annotations

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_SQLITE = (
    """CREATE TABLE IF NOT EXISTS resource (
    resource_type TEXT NOT NULL, id TEXT NOT NULL, version_id INTEGER NOT NULL,
    last_updated TEXT NOT NULL, record BLOB NOT NULL, PRIMARY KEY (resource_type, id))""",
    """CREATE TABLE IF NOT EXISTS resource_history (
    resource_type TEXT NOT NULL, id TEXT NOT NULL, version_id INTEGER NOT NULL,
    last_updated TEXT NOT NULL, record BLOB NOT NULL, PRIMARY KEY (resource_type, id, version_id))""",
    """CREATE TABLE IF NOT EXISTS search_token (
    resource_type TEXT NOT NULL, id TEXT NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL,
    PRIMARY KEY (resource_type, id, name, value)) WITHOUT ROWID""",
    "CREATE INDEX IF NOT EXISTS search_token_lookup ON search_token (resource_type, name, value)",
    """CREATE TABLE IF NOT EXISTS receipt (key TEXT PRIMARY KEY, response BLOB NOT NULL, created TEXT NOT NULL)
    WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS settlement (
    id TEXT PRIMARY KEY, state TEXT NOT NULL, created TEXT NOT NULL, updated TEXT NOT NULL,
    batch BLOB NOT NULL, verdicts BLOB NOT NULL, totals BLOB, msg_id TEXT UNIQUE, message BLOB,
    receiver_her_id TEXT, error_code TEXT, last_error TEXT,
    apprec_status INTEGER, apprec_errors TEXT, apprec_id TEXT, apprec_at TEXT)""",
    """CREATE TABLE IF NOT EXISTS outbox (
    msg_id TEXT PRIMARY KEY, settlement_id TEXT NOT NULL REFERENCES settlement (id),
    receiver_her_id TEXT NOT NULL, payload BLOB NOT NULL, state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at TEXT NOT NULL, leased_until TEXT,
    lease_owner TEXT, delivered_at TEXT, last_error TEXT)""",
    "CREATE INDEX IF NOT EXISTS outbox_due ON outbox (state, next_attempt_at)",
)

_POSTGRES = (
    """CREATE TABLE resource (
    resource_type TEXT COLLATE "C" NOT NULL, id TEXT COLLATE "C" NOT NULL, version_id INTEGER NOT NULL,
    last_updated TEXT COLLATE "C" NOT NULL, record BYTEA NOT NULL, PRIMARY KEY (resource_type, id))""",
    # The primary key (type, id, version) is what stops two writers from both creating version N.
    """CREATE TABLE resource_history (
    resource_type TEXT COLLATE "C" NOT NULL, id TEXT COLLATE "C" NOT NULL, version_id INTEGER NOT NULL,
    last_updated TEXT COLLATE "C" NOT NULL, record BYTEA NOT NULL, PRIMARY KEY (resource_type, id, version_id))""",
    """CREATE TABLE search_token (
    resource_type TEXT COLLATE "C" NOT NULL, id TEXT COLLATE "C" NOT NULL, name TEXT COLLATE "C" NOT NULL,
    value TEXT COLLATE "C" NOT NULL, PRIMARY KEY (resource_type, id, name, value))""",
    "CREATE INDEX search_token_lookup ON search_token (resource_type, name, value)",
    # The primary key decides which of two concurrent pushes of one message answers first.
    """CREATE TABLE receipt (key TEXT COLLATE "C" PRIMARY KEY, response BYTEA NOT NULL,
    created TEXT COLLATE "C" NOT NULL)""",
    """CREATE TABLE settlement (
    id TEXT COLLATE "C" PRIMARY KEY, state TEXT NOT NULL, created TEXT COLLATE "C" NOT NULL,
    updated TEXT COLLATE "C" NOT NULL, batch BYTEA NOT NULL, verdicts BYTEA NOT NULL, totals BYTEA,
    msg_id TEXT COLLATE "C" UNIQUE, message BYTEA, receiver_her_id TEXT, error_code TEXT, last_error TEXT,
    apprec_status INTEGER, apprec_errors TEXT, apprec_id TEXT, apprec_at TEXT COLLATE "C")""",
    """CREATE TABLE outbox (
    msg_id TEXT COLLATE "C" PRIMARY KEY, settlement_id TEXT COLLATE "C" NOT NULL REFERENCES settlement (id),
    receiver_her_id TEXT NOT NULL, payload BYTEA NOT NULL, state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at TEXT COLLATE "C" NOT NULL,
    leased_until TEXT COLLATE "C", lease_owner TEXT, delivered_at TEXT COLLATE "C", last_error TEXT)""",
    "CREATE INDEX outbox_due ON outbox (state, next_attempt_at)",
)

_TABLES = ("outbox", "settlement", "receipt", "search_token", "resource_history", "resource")


def upgrade() -> None:
    statements = _POSTGRES if op.get_bind().dialect.name == "postgresql" else _SQLITE
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    for table in _TABLES:
        op.execute(f"DROP TABLE IF EXISTS {table}")
