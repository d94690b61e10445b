"""Schema migrations on both engines: SQLite upgrades itself (and adopts files made before
migrations existed); PostgreSQL is upgraded by ``nordgate db upgrade`` and the gateway refuses to
start on a schema that is behind, naming that command, without showing the password."""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from typer.testing import CliRunner

from gateway.bootstrap.runtime import build_runtime
from gateway.cli import build_app
from gateway.config.settings import load_settings
from gateway.primitives.database_url import parse_database_url
from gateway.primitives.errors import ConfigurationError
from gateway.store import migrate
from gateway.store.sqlite import SQLiteStore
from tests.database import server_url

TABLES = {"resource", "resource_history", "search_token", "receipt", "settlement", "outbox", "alembic_version",
          "account", "audit_log", "bill_claim"}
# The tables as the stores created them before migrations existed (the first release's DDL).
LEGACY_DDL = """
CREATE TABLE resource (resource_type TEXT NOT NULL, id TEXT NOT NULL, version_id INTEGER NOT NULL,
    last_updated TEXT NOT NULL, record BLOB NOT NULL, PRIMARY KEY (resource_type, id));
CREATE TABLE resource_history (resource_type TEXT NOT NULL, id TEXT NOT NULL, version_id INTEGER NOT NULL,
    last_updated TEXT NOT NULL, record BLOB NOT NULL, PRIMARY KEY (resource_type, id, version_id));
CREATE TABLE search_token (resource_type TEXT NOT NULL, id TEXT NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL,
    PRIMARY KEY (resource_type, id, name, value)) WITHOUT ROWID;
CREATE INDEX search_token_lookup ON search_token (resource_type, name, value);
CREATE TABLE receipt (key TEXT PRIMARY KEY, response BLOB NOT NULL, created TEXT NOT NULL) WITHOUT ROWID;
INSERT INTO receipt VALUES ('k', x'7b7d', '2025-01-01T00:00:00.000Z');
"""


def sqlite_tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as db:
        return {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def test_the_revisions_form_one_line_ending_at_head() -> None:
    assert migrate.known_revisions()[0] == migrate.head_revision()
    assert migrate.known_revisions()[-1] == "0001"


def test_a_fresh_sqlite_file_is_upgraded_to_head_when_the_store_opens_it(tmp_path: Path) -> None:
    SQLiteStore(tmp_path / "fresh.db").close()
    assert sqlite_tables(tmp_path / "fresh.db") == TABLES
    assert migrate.current_revision(parse_database_url(f"sqlite:///{tmp_path / 'fresh.db'}")) == \
        migrate.head_revision()


def test_a_sqlite_file_from_before_migrations_is_adopted_with_its_data(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as db:
        db.executescript(LEGACY_DDL)
    store = SQLiteStore(path)
    assert store.receipt("k") == b"{}"
    store.close()
    assert sqlite_tables(path) == TABLES
    assert migrate.current_revision(parse_database_url(f"sqlite:///{path}")) == migrate.head_revision()


def test_a_sqlite_file_at_an_older_revision_is_upgraded_at_open(tmp_path: Path) -> None:
    url = parse_database_url(f"sqlite:///{tmp_path / 'older.db'}")
    migrate.upgrade(url, "0001")
    assert migrate.current_revision(url) == "0001"
    SQLiteStore(url.sqlite_path).close()
    assert migrate.current_revision(url) == migrate.head_revision()
    with sqlite3.connect(url.sqlite_path) as db:
        assert db.execute("SELECT 1 FROM sqlite_master WHERE name='outbox_claimable'").fetchone()


def test_a_sqlite_file_from_a_newer_build_is_refused(tmp_path: Path) -> None:
    url = parse_database_url(f"sqlite:///{tmp_path / 'newer.db'}")
    SQLiteStore(url.sqlite_path).close()
    with sqlite3.connect(url.sqlite_path) as db:
        db.execute("UPDATE alembic_version SET version_num='9999'")
    with pytest.raises(ConfigurationError) as caught:
        SQLiteStore(url.sqlite_path)
    assert caught.value.code == "DATABASE_SCHEMA_AHEAD"


def test_db_commands_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    runner = CliRunner()
    before = runner.invoke(build_app(), ["db", "current", "--database-url", url])
    assert before.exit_code == 1 and "revision (none)" in before.stdout
    upgraded = runner.invoke(build_app(), ["db", "upgrade", "--database-url", url])
    assert upgraded.exit_code == 0 and f"to revision {migrate.head_revision()}" in upgraded.stdout
    again = runner.invoke(build_app(), ["db", "upgrade", "--database-url", url])
    assert again.exit_code == 0 and "already at revision" in again.stdout
    assert runner.invoke(build_app(), ["db", "current", "--database-url", url]).exit_code == 0


# ------------------------------------------------------------------------------------ PostgreSQL

@pytest.fixture
def empty_schema_url() -> Iterator[str]:
    """A schema with nothing in it, reached with a password in the URL (trust auth ignores it)."""
    server = server_url()
    if server is None:
        pytest.skip("PostgreSQL tests need NORDGATE_TEST_DATABASE_URL=postgresql://user@host:port/database")
    schema = f"nordgate_test_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(server.conninfo, autocommit=True) as db:
        db.execute(f'CREATE SCHEMA "{schema}"')
    parts = server.url.split("://", 1)
    user_host = parts[1] if "@" in parts[1] else f"postgres@{parts[1]}"
    user, rest = user_host.split("@", 1)
    url = f"postgresql://{user.split(':')[0]}:s3cret-pw@{rest}"
    url += ("&" if "?" in url else "?") + "options=" + quote(f"-csearch_path={schema}", safe="")
    yield url
    with psycopg.connect(server.conninfo, autocommit=True) as db:
        db.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.mark.postgres
def test_postgres_fresh_schema_is_refused_then_upgraded_by_the_command(empty_schema_url: str) -> None:
    settings = load_settings(database_url=empty_schema_url)
    with pytest.raises(ConfigurationError) as caught:
        build_runtime(settings)
    assert caught.value.code == "DATABASE_SCHEMA_BEHIND" and "nordgate db upgrade" in caught.value.message
    assert "s3cret-pw" not in str(caught.value) and "***" in caught.value.message
    result = CliRunner().invoke(build_app(), ["db", "upgrade", "--database-url", empty_schema_url])
    assert result.exit_code == 0, result.output
    assert "s3cret-pw" not in result.output
    assert migrate.current_revision(settings.database) == migrate.head_revision()
    build_runtime(settings).close()


@pytest.mark.postgres
def test_postgres_schema_behind_makes_build_runtime_refuse(empty_schema_url: str) -> None:
    settings = load_settings(database_url=empty_schema_url)
    migrate.upgrade(settings.database, "0001")
    migrate.stamp(settings.database, "0001")
    with pytest.raises(ConfigurationError) as caught:
        build_runtime(settings)
    message = caught.value.message
    assert caught.value.code == "DATABASE_SCHEMA_BEHIND"
    assert "revision 0001, behind" in message and "`nordgate db upgrade`" in message
    assert "s3cret-pw" not in message
    current = CliRunner().invoke(build_app(), ["db", "current", "--database-url", empty_schema_url])
    assert current.exit_code == 1 and "nordgate db upgrade" in current.output
    migrate.upgrade(settings.database)
    build_runtime(settings).close()


@pytest.mark.postgres
def test_postgres_tables_are_the_same_as_sqlites(empty_schema_url: str) -> None:
    url = parse_database_url(empty_schema_url)
    migrate.upgrade(url)
    with psycopg.connect(url.conninfo) as db:
        tables = {row[0] for row in db.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()")}
    assert tables == TABLES


def test_an_unreachable_postgres_is_a_configuration_error_without_the_password() -> None:
    url = parse_database_url("postgresql://nordgate:hunter2@127.0.0.1:1/none?connect_timeout=2")
    with pytest.raises(ConfigurationError) as caught:
        migrate.require_current(url)
    assert caught.value.code == "DATABASE_UNREADABLE" and "hunter2" not in str(caught.value)


# ------------------------------------------------------------------------------ bill claims (0006)

def _bills(*numbers: int, credit: bool = False) -> bytes:
    bills = [{"guid": f"{{0B7E5C1E-2222-4C4C-8A8A-{n:012d}}}", "billNumber": str(3000 + n),
              "practitionerHpr": "2345678", "credit": credit} for n in numbers]
    return json.dumps({"bills": bills}).encode()


def _verdicts(*verdicts: str) -> bytes:
    return json.dumps([{"verdict": v} for v in verdicts]).encode()


# Settlements as revision 0005 stored them: which of their bills must be claimed at the upgrade.
SETTLEMENTS_BEFORE_0006 = [
    ("s1", "sent", "2025-01-01T00:00:00.000Z", _bills(1, 2), _verdicts("included", "refused")),
    ("s2", "rejected", "2025-01-02T00:00:00.000Z", _bills(3), _verdicts("included")),
    ("s3", "acknowledged", "2025-01-03T00:00:00.000Z", _bills(1, 4), _verdicts("included", "included")),
    ("s4", "queued", "2025-01-04T00:00:00.000Z", _bills(1, credit=True), _verdicts("included")),
    ("s5", "refused", "2025-01-05T00:00:00.000Z", _bills(5), _verdicts("included")),
]
CLAIMS_AFTER_0006 = [("s1", 0, "debit", "0b7e5c1e-2222-4c4c-8a8a-000000000001", "3001"),
                     ("s3", 1, "debit", "0b7e5c1e-2222-4c4c-8a8a-000000000004", "3004"),
                     ("s4", 0, "credit", "0b7e5c1e-2222-4c4c-8a8a-000000000001", "3001")]
_INSERT_0005 = "INSERT INTO settlement (id, state, created, updated, batch, verdicts) VALUES ({p},{p},{p},{p},{p},{p})"
_CLAIMS = "SELECT settlement_id, position, kind, guid, bill_number FROM bill_claim ORDER BY settlement_id, position"


def test_upgrading_sqlite_claims_the_bills_already_sent(tmp_path: Path) -> None:
    url = parse_database_url(f"sqlite:///{tmp_path / 'claims.db'}")
    migrate.upgrade(url, "0005")
    with sqlite3.connect(url.sqlite_path) as db:
        db.executemany(_INSERT_0005.format(p="?"), [(*row[:3], row[2], *row[3:]) for row in SETTLEMENTS_BEFORE_0006])
    migrate.upgrade(url)
    with sqlite3.connect(url.sqlite_path) as db:
        # s3's bill 1 was sent twice by the old code: the first settlement keeps it.
        assert db.execute(_CLAIMS).fetchall() == CLAIMS_AFTER_0006


@pytest.mark.postgres
def test_upgrading_postgres_claims_the_bills_already_sent(empty_schema_url: str) -> None:
    url = parse_database_url(empty_schema_url)
    migrate.upgrade(url, "0005")
    with psycopg.connect(url.conninfo) as db:
        db.cursor().executemany(_INSERT_0005.format(p="%s"),
                                [(*row[:3], row[2], *row[3:]) for row in SETTLEMENTS_BEFORE_0006])
    migrate.upgrade(url)
    with psycopg.connect(url.conninfo) as db:
        assert [tuple(row) for row in db.execute(_CLAIMS).fetchall()] == CLAIMS_AFTER_0006


# ------------------------------------------------------------------------------ Encounter tokens (0007)

# An Encounter as revision 0006 stored it (a telephone contact), without class/type/service-provider tokens.
_ENCOUNTER = json.dumps({"kind": "encounter", "id": "e1", "status": "finished", "contact_mode": "VR",
                         "patient": {"kind": "personnummer", "value": "191212121212"},
                         "unit": {"kind": "hsa-id", "value": "SE2321000131-E000000011111"},
                         "visit_type_code": "Tele"}).encode()
_RESOURCE_0006 = "INSERT INTO resource VALUES ({p},{p},{p},{p},{p})"
TOKENS_AFTER_0007 = [("class", "http://terminology.hl7.org/CodeSystem/v3-ActCode|VR"), ("class.value", "VR"),
                     ("service-provider.value", "SE2321000131-E000000011111"), ("status", "finished"),
                     ("type.value", "Tele")]
_TOKENS = "SELECT name, value FROM search_token WHERE resource_type = 'Encounter' AND id = 'e1' ORDER BY name, value"


def test_upgrading_sqlite_gives_stored_encounters_their_class_type_and_unit_tokens(tmp_path: Path) -> None:
    url = parse_database_url(f"sqlite:///{tmp_path / 'encounters.db'}")
    migrate.upgrade(url, "0006")
    with sqlite3.connect(url.sqlite_path) as db:
        db.execute(_RESOURCE_0006.format(p="?"), ("Encounter", "e1", 1, "2026-01-01T00:00:00.000Z", _ENCOUNTER))
        db.execute("INSERT INTO search_token VALUES ('Encounter', 'e1', 'status', 'finished')")
    migrate.upgrade(url)
    with sqlite3.connect(url.sqlite_path) as db:
        assert db.execute(_TOKENS).fetchall() == TOKENS_AFTER_0007


@pytest.mark.postgres
def test_upgrading_postgres_gives_stored_encounters_their_class_type_and_unit_tokens(empty_schema_url: str) -> None:
    url = parse_database_url(empty_schema_url)
    migrate.upgrade(url, "0006")
    with psycopg.connect(url.conninfo) as db:
        db.execute(_RESOURCE_0006.format(p="%s"), ("Encounter", "e1", 1, "2026-01-01T00:00:00.000Z", _ENCOUNTER))
        db.execute("INSERT INTO search_token VALUES ('Encounter', 'e1', 'status', 'finished')")
    migrate.upgrade(url)
    with psycopg.connect(url.conninfo) as db:
        assert [tuple(row) for row in db.execute(_TOKENS).fetchall()] == TOKENS_AFTER_0007
