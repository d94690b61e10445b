"""The audit trail (gateway/audit): one append-only, hash-chained table.

Append-only as far as each engine allows:

- SQLite: ``BEFORE UPDATE`` and ``BEFORE DELETE`` triggers abort, and a ``BEFORE INSERT`` trigger
  refuses a row that does not continue the chain (``seq`` = last + 1, ``prev_hash`` = last ``hash``),
  which also stops ``INSERT OR REPLACE`` from overwriting a row. Whoever can write the file can
  drop the triggers: the hash chain (``nordgate audit verify``) then shows what was changed.
- PostgreSQL: row triggers refuse ``UPDATE``/``DELETE``, a statement trigger refuses ``TRUNCATE``,
  the same continuation check on ``INSERT``, and ``UPDATE, DELETE, TRUNCATE`` are revoked from
  PUBLIC. The table's owner (and a superuser) can still disable triggers: run the gateway as a role
  that does not own the table and holds only ``INSERT, SELECT`` on it (README "Audit trail").

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-20
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_SQLITE = (
    """CREATE TABLE IF NOT EXISTS audit_log (
    seq INTEGER PRIMARY KEY, at TEXT NOT NULL, client_id TEXT NOT NULL, tenants TEXT NOT NULL,
    action TEXT NOT NULL, resource_type TEXT, resource_id TEXT, message_id TEXT, body_sha256 TEXT,
    status INTEGER NOT NULL, request_id TEXT, detail TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS audit_log_at ON audit_log (at)",
    "CREATE INDEX IF NOT EXISTS audit_log_client ON audit_log (client_id, seq)",
    """CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: UPDATE refused'); END""",
    """CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: DELETE refused'); END""",
    """CREATE TRIGGER IF NOT EXISTS audit_log_chain BEFORE INSERT ON audit_log
    WHEN NEW.seq IS NOT COALESCE((SELECT seq FROM audit_log ORDER BY seq DESC LIMIT 1), 0) + 1
      OR NEW.prev_hash IS NOT COALESCE((SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1),
                                       '0000000000000000000000000000000000000000000000000000000000000000')
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: a row must continue the chain'); END""",
)

_POSTGRES = (
    """CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY, at TEXT COLLATE "C" NOT NULL, client_id TEXT COLLATE "C" NOT NULL,
    tenants TEXT COLLATE "C" NOT NULL, action TEXT COLLATE "C" NOT NULL, resource_type TEXT COLLATE "C",
    resource_id TEXT COLLATE "C", message_id TEXT COLLATE "C", body_sha256 TEXT, status INTEGER NOT NULL,
    request_id TEXT, detail TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL)""",
    "CREATE INDEX audit_log_at ON audit_log (at)",
    "CREATE INDEX audit_log_client ON audit_log (client_id, seq)",
    """CREATE FUNCTION audit_log_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'audit_log is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
    END $$""",
    """CREATE FUNCTION audit_log_chain() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      last_seq BIGINT;
      last_hash TEXT;
    BEGIN
      SELECT seq, hash INTO last_seq, last_hash FROM audit_log ORDER BY seq DESC LIMIT 1;
      IF NEW.seq IS DISTINCT FROM COALESCE(last_seq, 0) + 1
         OR NEW.prev_hash IS DISTINCT FROM COALESCE(last_hash, repeat('0', 64)) THEN
        RAISE EXCEPTION 'audit_log is append-only (a row must continue the chain)'
          USING ERRCODE = 'integrity_constraint_violation';
      END IF;
      RETURN NEW;
    END $$""",
    """CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_refuse()""",
    """CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse()""",
    """CREATE TRIGGER audit_log_chain BEFORE INSERT ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_chain()""",
    "REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM PUBLIC",
)


def upgrade() -> None:
    statements = _POSTGRES if op.get_bind().dialect.name == "postgresql" else _SQLITE
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    # DROP TABLE fires no row trigger: only a schema change removes the trail.
    op.execute("DROP TABLE IF EXISTS audit_log")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS audit_log_refuse()")
        op.execute("DROP FUNCTION IF EXISTS audit_log_chain()")
