"""``nordgate db upgrade`` and ``nordgate db current``: the schema of the gateway's database.

The database is NORDGATE_DATABASE_URL's (or ``--database-url``). On PostgreSQL the gateway refuses
to start until ``nordgate db upgrade`` has brought the schema to this build's revision; on SQLite
the gateway upgrades its own file at start-up, and these commands are there to look or to do it ahead.
URLs are printed with the password masked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from gateway.primitives.errors import NordgateError

if TYPE_CHECKING:
    from gateway.primitives.database_url import DatabaseURL

__all__ = ["register"]

UrlOption = Annotated[str | None, typer.Option("--database-url", help="default: NORDGATE_DATABASE_URL",
                                               show_default=False)]


def _database(url: str | None) -> DatabaseURL:
    from gateway.config.settings import load_settings  # noqa: PLC0415

    settings = load_settings(**({"database_url": url} if url is not None else {}))
    return settings.database


def _fail(error: NordgateError) -> typer.Exit:
    typer.echo(f"nordgate: {error.code}: {error.message}", err=True)
    return typer.Exit(2)


def register(app: typer.Typer) -> None:
    db = typer.Typer(name="db", help="The schema of the gateway's database (migrations).", no_args_is_help=True)
    app.add_typer(db)

    @db.command("upgrade")
    def upgrade_command(
        database_url: UrlOption = None,
        revision: Annotated[str, typer.Option("--revision", help="target revision")] = "head",
    ) -> None:
        """Bring the database's schema to this build's revision (or --revision). Safe to run again."""
        from gateway.store import migrate  # noqa: PLC0415
        try:
            database = _database(database_url)
            before, after = migrate.upgrade(database, revision)
        except NordgateError as error:
            raise _fail(error) from None
        if before == after:
            typer.echo(f"{database.masked}: already at revision {after}")
        else:
            typer.echo(f"{database.masked}: upgraded from {before or 'an empty schema'} to revision {after}")

    @db.command("current")
    def current_command(database_url: UrlOption = None) -> None:
        """Print the database's schema revision and this build's; exit 1 when they differ."""
        from gateway.store import migrate  # noqa: PLC0415
        try:
            database = _database(database_url)
            current, head = migrate.current_revision(database), migrate.head_revision()
        except NordgateError as error:
            raise _fail(error) from None
        typer.echo(f"{database.masked}: revision {current or '(none)'}; this build: {head}")
        if current != head:
            typer.echo(f"run `{migrate.UPGRADE_COMMAND}`" if current is None or current in migrate.known_revisions()
                       else "the database is newer than this build", err=True)
            raise typer.Exit(1)
