"""``nordgate ar-stub``: run the stand-in NHN address register on this machine.

For demos and local development of the settlement flow without access to NHN's test register.
It binds to loopback unless told otherwise; its ``/_control`` endpoint lets anyone who can reach
it make it fail, which is the point on a laptop and the reason it should not listen elsewhere.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["register"]

_LOOPBACK = ("127.0.0.1", "::1", "localhost")


def register(app: typer.Typer) -> None:
    app.command("ar-stub")(ar_stub)


def ar_stub(
    data: Annotated[
        Path,
        typer.Option(
            "--data",
            exists=True,
            file_okay=False,
            dir_okay=True,
            readable=True,
            help="Folder of communication-party JSON files (see samples/address-register/).",
        ),
    ],
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="TCP port.")] = 8089,
) -> None:
    """Serve the address register's SOAP operations from JSON files (a stand-in for NHN's AR)."""
    # Imported here: every CLI start builds all commands, and only this one needs the server stack.
    import uvicorn  # noqa: PLC0415

    from adapters.outbound.address_register.stub_server import create_stub_app  # noqa: PLC0415

    stub = create_stub_app(data)
    parties = len(stub.state.register)
    if host not in _LOOPBACK:
        typer.echo(f"warning: listening on {host}, not loopback; /_control is reachable from there", err=True)
    shown = f"[{host}]" if ":" in host else host
    typer.echo(
        f"AR stub: {parties} communication parties from {data}\n"
        f"listening on http://{shown}:{port}/  (SOAP on any path, e.g. /v1/AR; control: POST /_control)"
    )
    uvicorn.run(stub, host=host, port=port, log_level="info")
