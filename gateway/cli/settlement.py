"""``nordgate settle``: a settlement batch in, the signed HELFO message out, without a server.

The signed MsgHead goes to ``--out FILE`` (written atomically) or, without ``--out``, to stdout, so
it can be piped; everything meant for a person (progress for large batches, the per-bill summary
table, errors) goes to stderr, so stdout holds the message and nothing else.

Exit codes: 0 a message was written; 1 the batch was refused (the rules refused it as a whole, a
value in it is invalid, its sender or receiver is unknown or inactive in the AR, or the message
breaks its schema); 2 unreadable input or configuration (no such file, not JSON, wrong signer
options or secret, certificate that may not sign, AR unreachable).

Passwords and PINs are never taken as option values (they would show in the process list): only the
NAME of an environment variable or a file holding them.

The message is signed at the current time and there is no option to set another: GenDate is the
signing time, and a chosen time would let a certificate sign outside its validity and date the claim
as it pleases (a back-dated message verifies at its GenDate). The certificate is checked at that same
instant.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Final

import typer

from gateway.primitives.errors import MalformedInput, NordgateError, PayloadTooLarge, SenderError, UnsupportedMediaType

if TYPE_CHECKING:
    from rich.console import Console

    from gateway.domain.settlement import BillVerdict, SettlementPlan
    from gateway.ports.outbound import AddressRegister

__all__ = ["EXIT_INVALID", "EXIT_OK", "EXIT_REFUSED", "register"]

EXIT_OK: Final = 0
EXIT_REFUSED: Final = 1
EXIT_INVALID: Final = 2
#: Batches at least this large (bytes) get a progress bar; smaller ones are done before it would show.
_LARGE_BATCH: Final = 256 * 1024
#: Up to this many bills every bill gets a row; above, only refused and dropped bills do.
_ALL_ROWS: Final = 100
_STEPS: Final = ("reading", "rules", "address register", "certificate", "building", "schema", "signing", "writing")


def _exit_code(error: NordgateError) -> int:
    unreadable = (MalformedInput, PayloadTooLarge, UnsupportedMediaType)
    return EXIT_REFUSED if isinstance(error, SenderError) and not isinstance(error, unreadable) else EXIT_INVALID


def _report(console: Console, error: NordgateError) -> None:
    console.print(f"nordgate settle: {error.code}: {error.message}", markup=False, highlight=False)
    for issue in error.issues[:50]:
        where = f" at {issue.location}" if issue.location else ""
        console.print(f"  {issue.code}: {issue.message}{where}", markup=False, highlight=False)


def _summary(console: Console, verdicts: Sequence[BillVerdict], title: str, *, claimed: bool = True) -> None:
    """One row per bill: ``#`` its index in the batch, the refund signed as claimed (a credit bill
    negative), so that the rows of a ``claimed`` batch add up to its total row; notes (warnings)
    beside included bills."""
    from decimal import Decimal  # noqa: PLC0415

    from rich.table import Table  # noqa: PLC0415

    table = Table(title=title, title_justify="left", show_footer=claimed and len(verdicts) <= _ALL_ROWS)
    total = sum((v.refund for v in verdicts if v.refund is not None), Decimal("0.00"))
    for column, footer in (("#", ""), ("bill", ""), ("guid", ""), ("verdict", "total"), ("code", ""),
                           ("refund", str(total)), ("reason / notes", "")):
        table.add_column(column, footer=footer, overflow="fold", justify="right" if column == "refund" else "left")
    shown = (verdicts if len(verdicts) <= _ALL_ROWS
             else [v for v in verdicts if v.verdict.value != "included" or v.notes])
    for verdict in shown:
        index = verdict.bill_index
        detail = verdict.reason or "; ".join(f"{note.code}: {note.message}" for note in verdict.notes)
        table.add_row("" if index is None else str(index), verdict.bill_number, verdict.guid, verdict.verdict.value,
                      verdict.code or "", "" if verdict.refund is None else str(verdict.refund), detail)
    console.print(table)
    counts = {name: sum(1 for v in verdicts if v.verdict.value == name) for name in ("included", "refused", "dropped")}
    listed = sum(1 for v in shown if v.verdict.value == "included")
    hidden = "" if len(shown) == len(verdicts) else f" ({counts['included'] - listed} included bills are not listed)"
    console.print(f"{counts['included']} included, {counts['refused']} refused, {counts['dropped']} dropped{hidden}",
                  markup=False, highlight=False)


def _refuse_other_kind(signer: str, plan: SettlementPlan) -> None:
    """``CERT_KIND_MISMATCH`` before the card or file is opened: no PIN asked for a card that cannot sign."""
    from gateway.domain.parties import CertificateKind  # noqa: PLC0415
    from gateway.primitives.errors import SigningRefused  # noqa: PLC0415

    offered = CertificateKind.ENTERPRISE if signer == "enterprise" else CertificateKind.PERSONAL
    if offered is not plan.signer_kind:
        raise SigningRefused("CERT_KIND_MISMATCH", f"a {plan.batch.account.accounting_type.value} settlement is "
                             f"signed with a {plan.signer_kind.value} certificate; --signer {signer} offers a "
                             f"{offered.value} one")


def _encrypted(message: bytes, receiver_her_id: str, register: AddressRegister, certificate_file: Path | None) -> bytes:
    """The signed message as CMS enveloped data in S/MIME form (what ``openssl cms -decrypt`` reads
    by default), for ``certificate_file`` or else the receiver's encryption certificate in the AR."""
    import datetime as dt  # noqa: PLC0415

    from cryptography import x509  # noqa: PLC0415

    from adapters.outbound.encryption import (  # noqa: PLC0415
        EncryptedForm,
        encrypt_for,
        encryption_certificate_issue,
        read_certificate,
    )
    from gateway.primitives.errors import ConfigurationError, Unprocessable  # noqa: PLC0415

    if certificate_file is not None:
        certificate, source = read_certificate(certificate_file), str(certificate_file)
    else:
        certificate = x509.load_der_x509_certificate(register.encryption_certificate(receiver_her_id))
        source = f"the encryption certificate of HER-id {receiver_her_id} in the address register"
    issue = encryption_certificate_issue(certificate, at=dt.datetime.now(dt.UTC))
    if issue is not None and certificate_file is not None:
        # The operator's own file: a code of its own (500), the certificate's fault as the finding.
        raise ConfigurationError("ENCRYPTION_CERTIFICATE_UNUSABLE", f"{source} cannot be used: {issue.message}",
                                 issues=[issue])
    if issue is not None:
        raise Unprocessable(issue.code, f"{source}: {issue.message}")
    return encrypt_for(message, certificate, form=EncryptedForm.SMIME)


def _write(out: Path | None, data: bytes) -> None:
    if out is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    descriptor, temporary = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent or Path("."))
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, out)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def register(app: typer.Typer) -> None:
    @app.command("settle")
    def settle_command(  # noqa: PLR0917 - typer maps parameters to options
        batch_file: Annotated[Path, typer.Argument(metavar="BATCH.json", help="settlement batch (JSON)")],
        signer: Annotated[str, typer.Option("--signer", help="enterprise (PKCS#12) or card (PKCS#11; also "
                                            "'personal')")],
        trust: Annotated[list[Path], typer.Option("--trust", help="PEM file of trust anchors (repeatable)")],
        p12: Annotated[Path | None, typer.Option("--p12", help="PKCS#12 file of the enterprise certificate")] = None,
        password_env: Annotated[str | None, typer.Option("--password-env", help="NAME of the env var with the "
                                                         "PKCS#12 password")] = None,
        password_file: Annotated[Path | None, typer.Option("--password-file", help="file with the PKCS#12 "
                                                           "password")] = None,
        pkcs11_module: Annotated[Path | None, typer.Option("--pkcs11-module", help="PKCS#11 module")] = None,
        token_label: Annotated[str | None, typer.Option("--token-label", help="smart-card token label")] = None,
        key_label: Annotated[str | None, typer.Option("--key-label", help="key label on the card")] = None,
        pin_env: Annotated[str | None, typer.Option("--pin-env", help="NAME of the env var with the PIN")] = None,
        pin_file: Annotated[Path | None, typer.Option("--pin-file", help="file with the PIN")] = None,
        card_holders: Annotated[Path | None, typer.Option("--card-holders", help="JSON record of whose card is "
                                                          "whose: certificate serialNumber → HPR number")] = None,
        ar: Annotated[str | None, typer.Option("--ar", help="address register SOAP URL")] = None,
        ar_data: Annotated[Path | None, typer.Option("--ar-data", help="stand-in AR JSON folder, in-process")] = None,
        out: Annotated[Path | None, typer.Option("--out", help="write the signed message here (default: "
                                                 "stdout)")] = None,
        reference_dir: Annotated[Path | None, typer.Option("--reference-dir", help="folder of the official "
                                                           "MsgHead XSD, to validate against it too")] = None,
        encrypt: Annotated[bool, typer.Option("--encrypt", help="write the signed message encrypted (CMS S/MIME) for "
                                              "the receiver's encryption certificate in the AR")] = False,
        encrypt_for: Annotated[Path | None, typer.Option("--encrypt-for", help="write it encrypted for this "
                                                         "certificate (PEM or DER) instead")] = None,
    ) -> None:
        """Check, sign and write the HELFO settlement message of a batch (exit 0 written, 1 refused, 2 invalid)."""
        import datetime as dt  # noqa: PLC0415

        from rich.console import Console  # noqa: PLC0415
        from rich.progress import Progress  # noqa: PLC0415

        from gateway.bootstrap.settlement import build_signer, register_client  # noqa: PLC0415
        from gateway.primitives.errors import Unprocessable  # noqa: PLC0415
        from gateway.settlement.batch import parse_batch  # noqa: PLC0415
        from gateway.settlement.compose import REFUSAL_CODES, compose_signed, verdicts_of_refusal  # noqa: PLC0415
        from gateway.settlement.rules import check  # noqa: PLC0415

        console = Console(stderr=True)
        if signer not in ("enterprise", "card", "personal"):
            raise typer.BadParameter("use enterprise or card (personal)", param_hint="--signer")
        try:
            data = batch_file.read_bytes()
        except OSError as exc:
            console.print(f"nordgate settle: cannot read {batch_file}: {exc.strerror}", markup=False)
            raise typer.Exit(EXIT_INVALID) from None
        closables: list[object] = []
        progress = Progress(console=console, transient=True, disable=len(data) < _LARGE_BATCH)
        try:
            with progress:
                task = progress.add_task("reading", total=len(_STEPS))

                def step(name: str) -> None:
                    progress.update(task, description=name, completed=_STEPS.index(name))

                batch = parse_batch(data)
                step("rules")
                try:
                    plan = check(batch)
                except Unprocessable as refusal:
                    if refusal.code not in REFUSAL_CODES:
                        raise
                    progress.stop()
                    _summary(console, verdicts_of_refusal(batch, refusal), f"{batch_file.name}: refused",
                             claimed=False)
                    _report(console, refusal)
                    raise typer.Exit(EXIT_REFUSED) from None
                _refuse_other_kind(signer, plan)
                client = register_client(endpoint=None if ar is None else str(ar), data_dir=ar_data)
                closables.append(client)
                chosen = build_signer(signer, p12=p12, password_env=password_env, password_file=password_file,
                                 pkcs11_module=pkcs11_module, token_label=token_label, key_label=key_label,
                                 pin_env=pin_env, pin_file=pin_file, card_holders=card_holders, trust=trust)
                closables.append(chosen)
                signed = compose_signed(plan, register=client, signers={chosen.kind: chosen},
                                        at=dt.datetime.now(dt.UTC), reference_dir=reference_dir, step=step)
                output = signed.xml
                if encrypt or encrypt_for is not None:
                    output = _encrypted(signed.xml, signed.receiver_her_id, client, encrypt_for)
                step("writing")
                _write(out, output)
        except NordgateError as error:
            progress.stop()
            _report(console, error)
            raise typer.Exit(_exit_code(error)) from None
        except OSError as exc:
            console.print(f"nordgate settle: cannot write {out}: {exc.strerror}", markup=False)
            raise typer.Exit(EXIT_INVALID) from None
        finally:
            for item in closables:
                close = getattr(item, "close", None)
                if callable(close):
                    close()
        _summary(console, plan.verdicts, f"{batch_file.name}: MsgId {signed.msg_id} → HER-id {signed.receiver_her_id}")
        console.print(f"total claimed {plan.totals.sum_claimed} NOK for {plan.totals.bill_count} bill(s); "
                      f"message written to {out or 'stdout'}", markup=False, highlight=False)
        if output is not signed.xml:
            console.print("the message is encrypted (CMS enveloped data, AES-256-CBC, S/MIME form)", markup=False,
                          highlight=False)
