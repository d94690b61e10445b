"""The audit table on the suite's engine (SQLite, or PostgreSQL with NORDGATE_TEST_DATABASE_URL):
UPDATE and DELETE refused, a row that does not continue the chain refused, and the hash chain
(``nordgate audit verify``) finding an edited, a removed and a cut-off row once the triggers are
dropped, as someone owning the database could."""

from __future__ import annotations

import importlib
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from gateway.bootstrap.stores import open_audit_log
from gateway.cli import build_app
from gateway.domain.audit import Actor, make_entry
from gateway.ports.audit import AuditLog, AuditQuery
from gateway.primitives.database_url import parse_database_url

ACTOR = Actor("test-client", ("SE2321000131-E000000000001",), "req-1")
_MIGRATION = importlib.import_module("gateway.migrations.versions.v0004_audit_log")


@pytest.fixture
def audit_log(database_url: str) -> Iterator[AuditLog]:
    log = open_audit_log(database_url)
    log.append([make_entry(ACTOR, "fhir.read", 200, resource_type="Appointment", resource_id=f"id-{n}")
                for n in range(1, 6)])
    yield log
    log.close()


@contextmanager
def raw(url: str) -> Iterator[Callable[[str], Any]]:
    """Plain SQL on the test database, outside the gateway: what an intruder with a login could run."""
    database = parse_database_url(url)
    if database.engine == "sqlite":
        connection = sqlite3.connect(database.sqlite_path, isolation_level=None)
        try:
            yield connection.execute
        finally:
            connection.close()
        return
    import psycopg  # noqa: PLC0415

    with psycopg.connect(database.conninfo, autocommit=True) as pg:
        yield pg.execute


def refused_errors() -> tuple[type[Exception], ...]:
    import psycopg  # noqa: PLC0415

    return sqlite3.DatabaseError, psycopg.Error


@contextmanager
def triggers_dropped(url: str) -> Iterator[None]:
    """Drop the append-only triggers; on PostgreSQL put them back afterwards (the schema is reused)."""
    sqlite = parse_database_url(url).engine == "sqlite"
    names = ("audit_log_no_update", "audit_log_no_delete", "audit_log_chain") if sqlite else \
        ("audit_log_append_only", "audit_log_chain")
    with raw(url) as execute:
        for name in names:
            execute(f"DROP TRIGGER {name}" if sqlite else f"DROP TRIGGER {name} ON audit_log")
    try:
        yield
    finally:
        if not sqlite:
            with raw(url) as execute:
                for statement in _MIGRATION._POSTGRES:
                    if any(f"CREATE TRIGGER {name} " in statement for name in names):
                        execute(statement)


def verify_cli(url: str, *extra: str) -> Any:
    return CliRunner().invoke(build_app(), ["audit", "verify", "--database-url", url, *extra])


def test_update_delete_and_an_out_of_chain_insert_are_refused(audit_log: AuditLog, database_url: str) -> None:
    with raw(database_url) as execute:
        for statement in ("UPDATE audit_log SET status = 500 WHERE seq = 2", "DELETE FROM audit_log WHERE seq = 5",
                          "DELETE FROM audit_log",
                          "INSERT INTO audit_log SELECT seq + 100, at, client_id, tenants, action, resource_type, "
                          "resource_id, message_id, body_sha256, status, request_id, detail, prev_hash, hash "
                          "FROM audit_log WHERE seq = 1"):
            with pytest.raises(refused_errors()) as caught:
                execute(statement)
            assert "append-only" in str(caught.value)
    assert [row.status for row in audit_log.export(AuditQuery())] == [200] * 5
    assert audit_log.verify().ok


def test_the_chain_is_intact_and_the_cli_says_so(audit_log: AuditLog, database_url: str, tmp_path: Path) -> None:
    report = audit_log.verify()
    assert report.ok and report.rows == 5 and report.head_seq == 5
    result = verify_cli(database_url)
    assert result.exit_code == 0, result.output
    assert "chain intact" in result.output and f"head 5:{report.head_hash}" in result.output
    out = tmp_path / "audit.ndjson"
    exported = CliRunner().invoke(build_app(), ["audit", "export", "--database-url", database_url,
                                                "--from", "2000-01-01", "--out", str(out)])
    assert exported.exit_code == 0, exported.output
    lines = [orjson.loads(line) for line in out.read_bytes().splitlines()]
    assert [line["seq"] for line in lines] == [1, 2, 3, 4, 5] and lines[0]["client"] == "test-client"


def test_an_edited_row_breaks_the_chain(audit_log: AuditLog, database_url: str) -> None:
    with triggers_dropped(database_url), raw(database_url) as execute:
        execute("UPDATE audit_log SET client_id = 'someone-else' WHERE seq = 3")
        report = audit_log.verify()
        result = verify_cli(database_url)
    assert not report.ok and report.first_bad_seq == 3 and "row 3 was altered" in report.problems[0]
    assert result.exit_code == 1 and "BROKEN: row 3 was altered" in result.output


def test_a_removed_row_breaks_the_chain(audit_log: AuditLog, database_url: str) -> None:
    with triggers_dropped(database_url), raw(database_url) as execute:
        execute("DELETE FROM audit_log WHERE seq = 2")
        report = audit_log.verify()
    assert not report.ok and report.first_bad_seq == 3
    assert "rows 2..2 are missing" in report.problems[0]


def test_a_rehashed_forgery_still_breaks_at_the_next_row(audit_log: AuditLog, database_url: str) -> None:
    """Editing a row *and* recomputing its hash leaves the next row pointing at the old hash."""
    from gateway.domain.audit import row_hash  # noqa: PLC0415

    [row] = [r for r in audit_log.export(AuditQuery()) if r.seq == 2]
    forged = (*row.material()[:2], "someone-else", *row.material()[3:])
    with triggers_dropped(database_url), raw(database_url) as execute:
        placeholder = "?" if parse_database_url(database_url).engine == "sqlite" else "%s"
        execute(f"UPDATE audit_log SET client_id = 'someone-else', hash = {placeholder} WHERE seq = 2",
                (row_hash(forged),))
        report = audit_log.verify()
    assert not report.ok and report.first_bad_seq == 3 and "row 3 does not link" in report.problems[0]


def test_rows_cut_off_the_end_are_found_with_a_noted_head(audit_log: AuditLog, database_url: str) -> None:
    head = audit_log.verify()
    with triggers_dropped(database_url), raw(database_url) as execute:
        execute("DELETE FROM audit_log WHERE seq >= 4")
        assert audit_log.verify().ok  # the chain alone cannot tell: it just ends earlier
        result = verify_cli(database_url, "--expect-head", f"{head.head_seq}:{head.head_hash}")
    assert result.exit_code == 1 and "row 5 noted earlier is gone" in result.output
