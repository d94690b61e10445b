"""The ``nordgate`` command line. Each subcommand module registers itself on the app in
:func:`build_app`; nothing is imported or configured before ``main()`` runs.

Deferred on purpose: a command imports what it runs inside its own function (the ``noqa: PLC0415``
lines of this package), so ``nordgate --help`` and each command load only the parts that command
needs (FastAPI and uvicorn, the stores and psycopg, the signing and PKCS#11 libraries, rich). The
commands build everything through ``gateway.bootstrap`` and the toolkit; they compose nothing."""

from __future__ import annotations

import importlib

import typer

__all__ = ["build_app", "main"]

# Modules that contribute commands; each exposes ``register(app: typer.Typer) -> None``.
_COMMAND_MODULES = (
    "gateway.cli.bookings",
    "gateway.cli.ar",
    "gateway.cli.settlement",
    "gateway.cli.signing",
    "gateway.cli.reports",
    "gateway.cli.db",
    "gateway.cli.mappings",
    "gateway.cli.api_keys",
    "gateway.cli.audit",
)


def build_app() -> typer.Typer:
    app = typer.Typer(
        name="nordgate",
        help="nordgate: Nordic health-care integration gateway.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
    )
    for name in _COMMAND_MODULES:
        importlib.import_module(name).register(app)
    return app


def main() -> None:
    build_app()()
