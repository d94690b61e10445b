"""``nordgate audit export`` and ``nordgate audit verify``: the audit trail from the command line.

- ``export --from 2026-11-01 --to 2026-11-30 [--out FILE]``: the rows as NDJSON (as
  ``GET /audit/export`` answers them, without a tenant limit: whoever can read the database can
  read the table), in chain order, streamed;
- ``verify [--expect-head SEQ:HASH]``: walks the whole hash chain; exit 0 when it is intact, 1 when
  a row was edited, removed or inserted (or the head is not the one expected), with the first
  problems listed. The head it prints is what to keep elsewhere to detect rows cut off at the end.
  With ``NORDGATE_AUDIT_HEAD_FILE`` set it also checks every head the gateway published there, so a
  chain rewritten from its first row is caught without ``--expect-head`` (gateway/audit/head_journal.py).

The database is NORDGATE_DATABASE_URL's, or ``--database-url``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, BinaryIO

import orjson
import typer

from gateway.primitives.errors import NordgateError

if TYPE_CHECKING:
    from gateway.config.settings import Settings
    from gateway.ports.audit import AuditLog

__all__ = ["register"]

UrlOption = Annotated[str | None, typer.Option("--database-url", help="default: NORDGATE_DATABASE_URL",
                                               show_default=False)]


def _fail(error: NordgateError) -> typer.Exit:
    where = f" ({error.location})" if error.location else ""
    typer.echo(f"nordgate: {error.code}: {error.message}{where}", err=True)
    return typer.Exit(2)


def _open(url: str | None) -> AuditLog:
    from gateway.bootstrap.stores import open_audit_log  # noqa: PLC0415

    return open_audit_log(_settings(url).database)


def _settings(url: str | None) -> Settings:
    from gateway.config.settings import load_settings  # noqa: PLC0415

    return load_settings(**({"database_url": url} if url is not None else {}))


def _check_published(audit_log: AuditLog, url: str | None) -> list[str]:
    """NORDGATE_AUDIT_HEAD_FILE set: every head the gateway published must still be in the chain."""
    path = _settings(url).audit_head_file
    if path is None:
        return []
    from gateway.audit.head_journal import HeadJournal, check_published  # noqa: PLC0415
    from gateway.ports.audit import AuditQuery  # noqa: PLC0415

    heads, problems = HeadJournal(path).entries()
    return problems + check_published(audit_log.export(AuditQuery()), heads)


def _write_rows(audit_log: AuditLog, first: str | None, last: str | None, out: BinaryIO) -> int:
    from gateway.audit.query import parse_bound  # noqa: PLC0415
    from gateway.ports.audit import AuditQuery  # noqa: PLC0415

    query = AuditQuery(since=parse_bound(first, name="--from"), until=parse_bound(last, name="--to", end=True))
    written = 0
    for row in audit_log.export(query):
        out.write(orjson.dumps(row.to_json()) + b"\n")
        written += 1
    return written


def register(app: typer.Typer) -> None:
    audit = typer.Typer(name="audit", help="The append-only audit trail: export it, verify its hash chain.",
                        no_args_is_help=True)
    app.add_typer(audit)

    @audit.command("export")
    def export_command(  # typer passes every option by name
        *,
        first: Annotated[str | None, typer.Option("--from", help="date or instant, inclusive")] = None,
        last: Annotated[str | None, typer.Option("--to", help="date (the whole day) or instant, exclusive")] = None,
        out: Annotated[Path | None, typer.Option("--out", dir_okay=False, help="NDJSON file (default: stdout)")] = None,
        database_url: UrlOption = None,
    ) -> None:
        """Write the audit rows of a time range as NDJSON, one row a line, in chain order."""
        try:
            audit_log = _open(database_url)
            try:
                if out is None:
                    written = _write_rows(audit_log, first, last, sys.stdout.buffer)
                    sys.stdout.buffer.flush()
                else:
                    with out.open("wb") as handle:
                        written = _write_rows(audit_log, first, last, handle)
            finally:
                audit_log.close()
        except NordgateError as error:
            raise _fail(error) from None
        typer.echo(f"{written} audit rows exported" + (f" to {out}" if out else ""), err=True)

    @audit.command("verify")
    def verify_command(
        *,
        expect_head: Annotated[str | None, typer.Option("--expect-head", help="SEQ:HASH noted earlier; the chain "
                                                                            "must still contain it")] = None,
        database_url: UrlOption = None,
    ) -> None:
        """Check the hash chain of the whole trail; exit 1 when a row was edited, removed or inserted."""
        try:
            audit_log = _open(database_url)
            try:
                report = audit_log.verify()
                problems = list(report.problems)
                if expect_head:
                    problems += _check_anchor(audit_log, expect_head)
                problems += _check_published(audit_log, database_url)
            finally:
                audit_log.close()
        except NordgateError as error:
            raise _fail(error) from None
        typer.echo(f"{report.rows} rows; head {report.head_seq}:{report.head_hash}")
        if problems:
            for problem in problems:
                typer.echo(f"BROKEN: {problem}", err=True)
            raise typer.Exit(1)
        typer.echo("chain intact")


def _check_anchor(audit_log: AuditLog, anchor: str) -> list[str]:
    """The row ``seq`` noted earlier must still be there with the same hash (rows cut off at the end)."""
    seq_text, _, expected = anchor.partition(":")
    if not seq_text.isdigit() or len(expected) != 64:
        return [f"--expect-head must be SEQ:HASH (64 hex digits), not {anchor[:80]!r}"]
    from gateway.ports.audit import AuditQuery  # noqa: PLC0415

    seq = int(seq_text)
    for row in audit_log.export(AuditQuery(), chunk=1000):
        if row.seq == seq:
            return [] if row.hash == expected else [f"row {seq} has another hash than the one noted"]
    return [f"row {seq} noted earlier is gone: rows were cut off the end of the chain"]
