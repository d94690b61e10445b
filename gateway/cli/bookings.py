"""``nordgate map``, ``nordgate validate`` and ``nordgate serve``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer

from gateway.primitives.errors import NordgateError

__all__ = ["register"]

FhirVersionOption = Annotated[str, typer.Option("--fhir-version", help="FHIR release: 4.0 (R4) or 5.0 (R5)")]
SourceOption = Annotated[str, typer.Option("--source", help="sending system: pas (Pasis/Elvis) or 1177")]


def _dump(data: Any) -> str:
    return orjson.dumps(data, option=orjson.OPT_INDENT_2).decode() + "\n"


def _event_name(event: Any) -> str:
    action = getattr(event, "action", None)
    return str(getattr(action, "value", action)) if action is not None else type(event).__name__


def register(app: typer.Typer) -> None:
    @app.command("map")
    def map_command(
        files: Annotated[list[Path], typer.Argument(exists=True, dir_okay=False, help="booking message files")],
        fhir_version: FhirVersionOption = "4.0",
        source: SourceOption = "pas",
        given: Annotated[list[Path] | None, typer.Option("--given", exists=True, dir_okay=False,
                                                         help="messages applied first, not printed")] = None,
        trace: Annotated[bool, typer.Option("--trace", help="print {format, events, bundle, trace}: where "
                                            "each code came from (one FILE)")] = False,
    ) -> None:
        """Print the FHIR Bundle (collection) that booking messages become. Nothing is stored."""
        if fhir_version not in {"4.0", "5.0"}:
            raise typer.BadParameter("use 4.0 or 5.0", param_hint="--fhir-version")
        if trace and len(files) != 1:
            raise typer.BadParameter("--trace takes one FILE; put earlier messages in --given", param_hint="FILE")
        try:
            if trace:
                from gateway.cli.trace import trace_message  # noqa: PLC0415

                bundle = trace_message(files[0], given=given or [], source=source, fhir_version=fhir_version)
            else:
                from gateway.toolkit.mapper import map_messages  # noqa: PLC0415 - see gateway/cli/__init__.py

                bundle = map_messages(files, given=given or [], source=source, fhir_version=fhir_version)
        except NordgateError as error:
            from gateway.fhir.outcome import outcome_of  # noqa: PLC0415 - see gateway/cli/__init__.py

            sys.stderr.write(_dump(outcome_of(error)))
            raise typer.Exit(1) from None
        sys.stdout.write(_dump(bundle))

    @app.command("validate")
    def validate_command(
        files: Annotated[list[Path], typer.Argument(exists=True, dir_okay=False, help="booking message files")],
        source: SourceOption = "pas",
    ) -> None:
        """Say whether each message is acceptable on its own, and why not. Exit 1 if any is not.

        Checks what one message can show (well-formed, safe, contract rules, identifiers, times);
        rules that need stored state (unknown booking, invitation already booked) show on push."""
        from gateway.bootstrap.inbound import inbound  # noqa: PLC0415 - see gateway/cli/__init__.py

        registry = inbound().registry
        failures = 0
        for path in files:
            try:
                events = registry.parse(path.read_bytes(), source=source)
            except NordgateError as error:
                failures += 1
                where = f" at {error.location}" if error.location else ""
                typer.echo(f"{path}: INVALID {error.code}: {error.message}{where}")
                continue
            kinds = ", ".join(sorted({_event_name(event) for event in events})) or "no bookings"
            typer.echo(f"{path}: ok ({len(events)} booking event(s): {kinds})")
        if failures:
            raise typer.Exit(1)

    @app.command("serve")
    def serve_command(
        host: Annotated[str | None, typer.Option(help="listen address (default NORDGATE_HOST or 127.0.0.1)")] = None,
        port: Annotated[int | None, typer.Option(help="port (default NORDGATE_PORT or 8080)")] = None,
    ) -> None:
        """Run the gateway's HTTP API (settings from NORDGATE_* environment variables)."""
        import uvicorn  # noqa: PLC0415

        from gateway.api import create_app  # noqa: PLC0415
        from gateway.cli.serving import server_config  # noqa: PLC0415
        from gateway.config.settings import load_settings  # noqa: PLC0415

        overrides: dict[str, object] = {}
        if host is not None:
            overrides["host"] = host
        if port is not None:
            overrides["port"] = port
        import logging  # noqa: PLC0415

        from gateway.observability.logs import configure_logging  # noqa: PLC0415

        try:
            settings = load_settings(**overrides)
            # Before the app is built: start-up lines are already JSON (or text), with the rest.
            configure_logging(settings.log_format, settings.log_level)
            app = create_app(settings)
        except NordgateError as error:
            typer.echo(f"nordgate: cannot start: {error}", err=True)
            raise typer.Exit(2) from None
        logging.getLogger("nordgate").info(
            "serving on http://%s:%d (database %s, FHIR base %s)", settings.host, settings.port,
            settings.database.masked, settings.base_url)
        # Header limit (431), logging left to the handler above: gateway/cli/serving.py.
        uvicorn.Server(server_config(app, settings)).run()
