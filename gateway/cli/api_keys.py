"""``nordgate api-key create``: a new random API key, printed once, and the settings entry for it.

The gateway never stores the key, only its SHA-256 (gateway/auth/api_keys.py): the entry printed
here goes into ``NORDGATE_API_KEYS`` (a JSON list); the key goes to the client and nowhere else.
Losing it means making a new one and replacing the entry.
"""

from __future__ import annotations

from typing import Annotated

import orjson
import typer

__all__ = ["register"]

ClientOption = Annotated[str, typer.Option("--client", help="the client's id (shown in logs and the audit trail)")]
ScopeOption = Annotated[list[str], typer.Option("--scope", help="a scope it may use; repeat for several")]
TenantOption = Annotated[list[str], typer.Option(
    "--tenant", help="an HSA-id, HER-id or organisation number it acts for ('*': all); repeat for several")]


def register(app: typer.Typer) -> None:
    api_key = typer.Typer(name="api-key", help="Static API keys of clients (hashes in NORDGATE_API_KEYS).",
                          no_args_is_help=True)
    app.add_typer(api_key)

    @api_key.command("create")
    def create(client: ClientOption, scope: ScopeOption, tenant: TenantOption) -> None:
        """Make a key; print it once, then the NORDGATE_API_KEYS entry holding its hash."""
        from pydantic import ValidationError  # noqa: PLC0415

        from gateway.auth.api_keys import new_api_key  # noqa: PLC0415

        try:
            made = new_api_key(client, scope, tenant)
        except ValidationError as exc:
            typer.echo(f"nordgate: {exc.errors()[0]['msg']}", err=True)
            raise typer.Exit(2) from None
        entry = orjson.dumps(made.entry.model_dump()).decode()
        typer.echo(f"API key for {client} (shown once; give it to the client, keep it nowhere else):\n")
        typer.echo(f"    {made.key}\n")
        typer.echo("Settings entry (add it to the JSON list in NORDGATE_API_KEYS; it holds only the hash):\n")
        typer.echo(f"    {entry}\n")
        typer.echo(f"e.g.  export NORDGATE_API_KEYS='[{entry}]'")
        typer.echo(f"      curl -H 'Authorization: Bearer {made.key}' http://127.0.0.1:8080/fhir/metadata")
