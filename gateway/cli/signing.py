"""``nordgate verify`` and ``nordgate certs-example``.

``verify`` exits 0 when the signature is valid, 1 when it is not, 2 when the input cannot be read
at all (no such file, not XML, hostile XML, unreadable trust file, card holder record or time). The
JSON report goes to stdout, so a script can keep it; what went wrong with the input goes to stderr.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from cryptography import x509

from adapters.outbound.signing.binding import CardHolders
from adapters.outbound.signing.example_certs import generate
from adapters.outbound.signing.verify import parse_time, verify_msghead
from gateway.primitives.errors import ConfigurationError, MalformedInput, PayloadTooLarge

__all__ = ["register"]

EXIT_VALID = 0
EXIT_INVALID = 1
EXIT_UNREADABLE = 2


def _fail(message: str) -> typer.Exit:
    typer.echo(f"nordgate verify: {message}", err=True)
    return typer.Exit(EXIT_UNREADABLE)


def verify(
    file: Annotated[Path, typer.Argument(help="Signed MsgHead XML file.", show_default=False)],
    at: Annotated[
        str | None,
        typer.Option(
            "--at",
            help="Check the certificate at this ISO 8601 date/time (Norwegian time without an offset). "
            "Default: the message's MsgInfo/GenDate.",
        ),
    ] = None,
    trust: Annotated[
        list[Path] | None,
        typer.Option(
            "--trust",
            help="PEM file of trust anchors (repeatable). Without any, no certificate is trusted.",
        ),
    ] = None,
    card_holders: Annotated[
        Path | None,
        typer.Option(
            "--card-holders",
            help="JSON record of whose card is whose (certificate serialNumber → HPR number): a personal "
            "signature must then be by the sender's HealthcareProfessional. Without it, not compared.",
        ),
    ] = None,
) -> None:
    """Verify the enveloped signature of a MsgHead and print what was signed, as JSON."""
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise _fail(f"cannot read {file}: {exc.strerror}") from None
    anchors: list[x509.Certificate] = []
    for pem in trust or []:
        try:
            anchors.extend(x509.load_pem_x509_certificates(pem.read_bytes()))
        except OSError as exc:
            raise _fail(f"cannot read trust file {pem}: {exc.strerror}") from None
        except ValueError:
            raise _fail(f"trust file {pem} holds no PEM certificate") from None
    moment = None
    if at is not None:
        try:
            moment = parse_time(at)
        except ValueError:
            raise _fail(f"--at {at!r} is not an ISO 8601 date or date-time") from None
    holders = None
    if card_holders is not None:
        try:
            holders = CardHolders.load(card_holders)
        except ConfigurationError as exc:
            raise _fail(exc.message) from None
    try:
        report = verify_msghead(data, at=moment, trust_anchors=anchors, card_holders=holders)
    except (MalformedInput, PayloadTooLarge) as exc:
        raise _fail(f"{file} is not a readable XML message: {exc}") from None
    typer.echo(report.to_json())
    raise typer.Exit(EXIT_VALID if report.valid else EXIT_INVALID)


def certs_example(
    out: Annotated[
        Path, typer.Option("--out", help="Folder to write the test certificates to.")
    ] = Path("certs-example") / "generated",
) -> None:
    """Make SEID-shaped TEST certificates (CA, personal card, enterprise, negative cases)."""
    made = generate(out)
    typer.echo(f"test certificates written to {made.directory} (TEST ONLY, NEVER IN PRODUCTION)")


def register(app: typer.Typer) -> None:
    app.command("verify")(verify)
    app.command("certs-example")(certs_example)
