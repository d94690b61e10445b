"""``nordgate report self-service``: the 1177 self-service report of one unit, from a gateway database.

The same JSON as ``GET /reports/self-service`` (one code path: :mod:`gateway.reports.self_service`),
and with ``--chart`` the same SVG as ``GET /reports/self-service/chart.svg``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import orjson
import typer

from gateway.primitives.errors import NordgateError

__all__ = ["register"]


def _fail(error: NordgateError) -> typer.Exit:
    where = f" ({error.location})" if error.location else ""
    typer.echo(f"nordgate: {error.code}: {error.message}{where}", err=True)
    return typer.Exit(2)


def register(app: typer.Typer) -> None:
    report = typer.Typer(name="report", help="Reports computed from what the gateway stores.",
                         no_args_is_help=True)
    app.add_typer(report)

    @report.command("self-service")
    def self_service_command(  # typer passes every option by name
        *,
        unit: Annotated[str, typer.Option("--unit", help="HSA-id of the care unit")],
        first: Annotated[str, typer.Option("--from", help="first day, YYYY-MM-DD")],
        last: Annotated[str, typer.Option("--to", help="last day, YYYY-MM-DD (the free-slot horizon's reference)")],
        period: Annotated[str, typer.Option("--period", help="month or week")] = "month",
        db: Annotated[Path | None, typer.Option("--db", exists=True, dir_okay=False,
                                                help="SQLite file (default: NORDGATE_DATABASE_URL)")] = None,
        chart: Annotated[Path | None, typer.Option("--chart", dir_okay=False,
                                                   help="also write the SVG chart to this file")] = None,
    ) -> None:
        """Shares of booked times the citizen may cancel, may reschedule, booked themselves; free-slot horizon."""
        from zoneinfo import ZoneInfo  # noqa: PLC0415

        from gateway.bootstrap.stores import open_store, require_schema  # noqa: PLC0415
        from gateway.config.settings import load_settings  # noqa: PLC0415
        from gateway.ports.store import Store  # noqa: PLC0415
        from gateway.reports.self_service import parse_request, self_service_report  # noqa: PLC0415
        from gateway.reports.svg_chart import self_service_chart  # noqa: PLC0415

        try:
            settings = load_settings()
            request = parse_request(unit, first, last, period)
        except NordgateError as error:
            raise _fail(error) from None
        store: Store
        if db is None and settings.database.engine == "postgresql":
            try:
                require_schema(settings.database)
                store = open_store(settings.database, pool_size=1)
            except NordgateError as error:
                raise _fail(error) from None
        else:
            path = db if db is not None else Path(settings.sqlite_path)
            if not path.is_file():
                typer.echo(f"nordgate: no database at {path}", err=True)
                raise typer.Exit(2)
            store = open_store(f"sqlite:///{path}")
        try:
            data = self_service_report(store, request, ZoneInfo(settings.local_timezone))
        finally:
            store.close()
        if chart is not None:
            chart.write_text(self_service_chart(data), encoding="utf-8")
        sys.stdout.write(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode() + "\n")
