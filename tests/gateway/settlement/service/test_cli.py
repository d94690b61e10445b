"""``nordgate settle``: exit 0 with a verifiable signed message, 1 refused, 2 unreadable/config."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from adapters.outbound.signing.verify import verify_msghead
from gateway.cli import build_app
from tests.conftest import REPO
from tests.gateway.settlement.service.helpers import (
    AR_DATA,
    CA_PEM,
    ENTERPRISE_P12,
    PASSWORD_FILE,
    anchors,
    batch,
    bill,
    to_bytes,
)

CARD_HOLDERS = REPO / "certs-example" / "card-holders.json"
SIGNER = ["--signer", "enterprise", "--p12", str(ENTERPRISE_P12), "--password-file", str(PASSWORD_FILE),
          "--trust", str(CA_PEM), "--ar-data", str(AR_DATA)]


def run(*args: str) -> tuple[int, str, bytes]:
    result = CliRunner().invoke(build_app(), list(args))
    return result.exit_code, result.stderr, result.stdout_bytes


def write(tmp_path: Path, doc: object) -> Path:
    path = tmp_path / "batch.json"
    path.write_bytes(to_bytes(doc) if isinstance(doc, dict) else bytes(doc))  # type: ignore[arg-type]
    return path


def test_writes_a_verifiable_message(tmp_path: Path) -> None:
    out = tmp_path / "signed.xml"
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    code, err, _ = run("settle", str(write(tmp_path, batch())), *SIGNER, "--out", str(out))
    assert code == 0, err
    report = verify_msghead(out.read_bytes(), trust_anchors=anchors())
    assert report.valid and report.checked_at is not None
    assert before <= dt.datetime.fromisoformat(report.checked_at) <= dt.datetime.now(dt.UTC)  # GenDate: signed now
    assert "2 included, 0 refused, 0 dropped" in err


def test_without_out_the_message_goes_to_stdout(tmp_path: Path) -> None:
    code, err, out = run("settle", str(write(tmp_path, batch())), *SIGNER)
    assert code == 0, err
    assert out.startswith(b"<?xml") and verify_msghead(out, trust_anchors=anchors()).valid


def test_a_refused_batch_exits_1_with_the_verdicts(tmp_path: Path) -> None:
    bad = bill(2, patientSharePaid=True, exemptionCode="F")
    code, err, out = run("settle", str(write(tmp_path, batch([bill(1), bad], allOrNothing=True))), *SIGNER)
    assert code == 1 and out == b""
    assert "BATCH_REFUSED_ALL_OR_NOTHING" in err and "BILL_SHARE_PAID_DESPITE_EXEMPTION" in err


@pytest.mark.parametrize(("args", "what"), [
    (["--signer", "card", "--pkcs11-module", "/nonexistent.so", "--token-label", "x", "--pin-env", "NO_PIN",
      "--card-holders", str(CARD_HOLDERS), "--trust", str(CA_PEM), "--ar-data", str(AR_DATA)],
     "SIGNING_SECRET_MISSING"),
    (["--signer", "enterprise", "--p12", str(ENTERPRISE_P12), "--password-env", "NORDGATE_TEST_NO_SUCH_VAR",
      "--trust", str(CA_PEM), "--ar-data", str(AR_DATA)], "SIGNING_SECRET_MISSING"),
    (["--signer", "enterprise", "--p12", str(ENTERPRISE_P12), "--password-file", str(PASSWORD_FILE),
      "--trust", str(CA_PEM)], "--ar URL or --ar-data DIR"),
])
def test_configuration_problems_exit_2(tmp_path: Path, args: list[str], what: str) -> None:
    kind = "kommunalt-enkeltoppgjor-lege" if "card" in args else "kommunalt-fellesoppgjor-lege"  # what the signer fits
    code, err, _ = run("settle", str(write(tmp_path, batch(accounting_type=kind))), *args)
    assert code == 2 and what in err


def test_unreadable_input_exits_2(tmp_path: Path) -> None:
    assert run("settle", str(tmp_path / "missing.json"), *SIGNER)[0] == 2
    code, err, _ = run("settle", str(write(tmp_path, b"{nope")), *SIGNER)
    assert code == 2 and "nordgate settle: " in err


XMLSEC1 = shutil.which("xmlsec1")
ENTERPRISE_SAMPLES = sorted((REPO / "samples" / "settlements").glob("kommunalt-fellesoppgjor-*.json"))


@pytest.mark.skipif(XMLSEC1 is None, reason="xmlsec1 is not installed (apt-get install xmlsec1; CI installs it)")
@pytest.mark.parametrize("sample", ENTERPRISE_SAMPLES, ids=lambda path: path.stem)
def test_the_enterprise_samples_settle_and_verify_with_xmlsec1(tmp_path: Path, sample: Path) -> None:
    out = tmp_path / "signed.xml"
    code, err, _ = run("settle", str(sample), *SIGNER, "--out", str(out))
    assert code == 0, err
    verify = [str(XMLSEC1), "--verify", "--trusted-pem", str(CA_PEM)]
    assert subprocess.run([*verify, str(out)], capture_output=True, check=False).returncode == 0
    signed = out.read_bytes()
    amount = signed.index(b'<Verdi U="NOK" V="') + len(b'<Verdi U="NOK" V="')
    tampered = tmp_path / "tampered.xml"
    tampered.write_bytes(signed[:amount] + (b"9" if signed[amount:amount + 1] != b"9" else b"8") + signed[amount + 1:])
    assert subprocess.run([*verify, str(tampered)], capture_output=True, check=False).returncode != 0
