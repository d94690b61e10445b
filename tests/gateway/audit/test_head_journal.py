"""Issue 13 point 5: the audit chain's head is published to NORDGATE_AUDIT_HEAD_FILE, and
``nordgate audit verify`` catches a chain rewritten from its first row without ``--expect-head``."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from fastapi.testclient import TestClient

from gateway.api import create_app
from gateway.audit.head_journal import HeadJournal, check_published
from gateway.bootstrap.stores import open_audit_log
from gateway.config.settings import load_settings
from gateway.domain.audit import Actor, make_entry
from gateway.ports.audit import AuditLog, AuditQuery
from tests.auth_helpers import DEFAULT_CLIENT
from tests.gateway.audit.test_audit_store import raw, triggers_dropped, verify_cli

ACTOR = Actor("test-client", ("SE2321000131-E000000000001",), "req-1")


@pytest.fixture
def audit_log(database_url: str) -> Iterator[AuditLog]:
    log = open_audit_log(database_url)
    log.append([make_entry(ACTOR, "fhir.read", 200, resource_id=f"id-{n}") for n in range(1, 6)])
    yield log
    log.close()


def test_a_chain_rewritten_from_row_one_is_caught(audit_log: AuditLog, database_url: str, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    journal = HeadJournal(tmp_path / "audit-head.jsonl")
    journal.publish(audit_log.head())
    with triggers_dropped(database_url):
        with raw(database_url) as execute:
            execute("DELETE FROM audit_log")
        # A fresh chain of the same length, every hash recomputed: the chain alone is intact.
        audit_log.append([make_entry(ACTOR, "fhir.read", 200, resource_id=f"other-{n}") for n in range(1, 6)])
        assert audit_log.verify().ok
        assert verify_cli(database_url).exit_code == 0  # what HEAD's verify says
        monkeypatch.setenv("NORDGATE_AUDIT_HEAD_FILE", str(journal.path))
        result = verify_cli(database_url)
    assert result.exit_code == 1
    assert "row 5 has another hash than the head published for it" in result.output


def test_an_untouched_chain_passes_with_the_published_heads(audit_log: AuditLog, database_url: str,
                                                            tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    journal = HeadJournal(tmp_path / "audit-head.jsonl")
    journal.publish(audit_log.head())
    audit_log.append([make_entry(ACTOR, "fhir.read", 200, resource_id="later")])
    journal.publish(audit_log.head())
    journal.publish(audit_log.head())  # unchanged: no second line
    assert len(journal.path.read_bytes().splitlines()) == 2
    monkeypatch.setenv("NORDGATE_AUDIT_HEAD_FILE", str(journal.path))
    result = verify_cli(database_url)
    assert result.exit_code == 0, result.output


def test_cut_off_rows_and_a_broken_line_are_named(audit_log: AuditLog, tmp_path: Path) -> None:
    rows = list(audit_log.export(AuditQuery()))
    assert check_published(rows[:3], [(5, rows[4].hash)]) == [
        "row 5 was published as a head but is gone: rows were cut off the chain"]
    path = tmp_path / "heads.jsonl"
    path.write_bytes(b'{"seq": 1, "hash": "x"}\nnot json\n')
    heads, problems = HeadJournal(path).entries()
    assert heads == [(1, "x")] and problems == [f"{path} line 2 is not a published head"]


def test_the_running_gateway_publishes_its_head(database_url: str, tmp_path: Path) -> None:
    head_file = tmp_path / "audit-head.jsonl"
    settings = load_settings(database_url=database_url, public_base_url="http://testserver/fhir",
                             audit_head_file=head_file, audit_head_publish_s=0.01)
    with TestClient(create_app(settings), headers=DEFAULT_CLIENT.headers) as client:
        assert client.get("/fhir/Appointment").status_code == 200  # an audited search
        runtime = client.app.state.runtime  # type: ignore[attr-defined]
        deadline = time.monotonic() + 10
        published: list[dict[str, object]] = []
        while time.monotonic() < deadline:
            if head_file.exists():
                published = [orjson.loads(line) for line in head_file.read_bytes().splitlines()]
            head = runtime.audit_log.head()
            if head is not None and published and (published[-1]["seq"], published[-1]["hash"]) == head:
                break
            time.sleep(0.05)
        assert head is not None and published and (published[-1]["seq"], published[-1]["hash"]) == head
