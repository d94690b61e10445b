"""``nordgate verify`` exit codes 0/1/2 and ``nordgate certs-example``."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import typer
from cryptography.hazmat.primitives.serialization import Encoding
from typer.testing import CliRunner, Result

from adapters.outbound.signing.base import CertificateSigner
from adapters.outbound.signing.enterprise import EnterpriseCertificateSigner
from adapters.outbound.signing.example_certs import LEAVES, PERSONAL_SERIAL, ExampleCertificates
from adapters.outbound.signing.smartcard import SmartCardSigner
from gateway.cli.signing import register

from .conftest import certificate_of, serialize, unsigned_msghead, with_practitioner


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    app = typer.Typer()
    register(app)
    return app


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def signed_file(tmp_path: Path, enterprise_signer: CertificateSigner) -> Path:
    path = tmp_path / "signed.xml"
    path.write_bytes(serialize(enterprise_signer.sign(unsigned_msghead())))
    return path


def test_valid_exits_0_with_json(
    app: typer.Typer, runner: CliRunner, signed_file: Path, certs: ExampleCertificates
) -> None:
    result = runner.invoke(app, ["verify", str(signed_file), "--trust", str(certs.ca)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["valid"] is True
    assert report["certificate"]["organisation_number"] == "921000006"


def test_no_trust_exits_1(app: typer.Typer, runner: CliRunner, signed_file: Path) -> None:
    result = runner.invoke(app, ["verify", str(signed_file)])
    assert result.exit_code == 1
    assert [issue["code"] for issue in json.loads(result.stdout)["issues"]] == ["CERT_UNTRUSTED"]


def test_tampered_exits_1(
    app: typer.Typer, runner: CliRunner, signed_file: Path, certs: ExampleCertificates
) -> None:
    signed_file.write_bytes(signed_file.read_bytes().replace(b"187.00", b"187.01", 1))
    result = runner.invoke(app, ["verify", str(signed_file), "--trust", str(certs.ca)])
    assert result.exit_code == 1
    assert json.loads(result.stdout)["valid"] is False


def test_unreadable_exits_2(app: typer.Typer, runner: CliRunner, tmp_path: Path) -> None:
    missing = runner.invoke(app, ["verify", str(tmp_path / "nope.xml")])
    assert missing.exit_code == 2
    not_xml = tmp_path / "plain.txt"
    not_xml.write_text("hello", encoding="utf-8")
    assert runner.invoke(app, ["verify", str(not_xml)]).exit_code == 2
    hostile = tmp_path / "bomb.xml"
    hostile.write_bytes(b'<!DOCTYPE a [<!ENTITY a "aaaa">]><a>&a;</a>')
    assert runner.invoke(app, ["verify", str(hostile)]).exit_code == 2


def test_bad_trust_file_or_time_exits_2(
    app: typer.Typer, runner: CliRunner, signed_file: Path, tmp_path: Path
) -> None:
    junk = tmp_path / "junk.pem"
    junk.write_text("no certificate here", encoding="utf-8")
    assert runner.invoke(app, ["verify", str(signed_file), "--trust", str(junk)]).exit_code == 2
    assert runner.invoke(app, ["verify", str(signed_file), "--at", "tomorrow"]).exit_code == 2


def test_real_sample_through_the_cli(
    app: typer.Typer, runner: CliRunner, nav_sample: bytes, tmp_path: Path
) -> None:
    sample = tmp_path / "sample.xml"
    sample.write_bytes(nav_sample)
    anchor = tmp_path / "anchor.pem"
    anchor.write_bytes(certificate_of(nav_sample).public_bytes(Encoding.PEM))
    valid = runner.invoke(app, ["verify", str(sample), "--trust", str(anchor)])
    assert valid.exit_code == 0, valid.output
    assert json.loads(valid.stdout)["certificate"]["kind"] == "enterprise"
    expired = runner.invoke(app, ["verify", str(sample), "--trust", str(anchor), "--at", "2026-01-01"])
    assert expired.exit_code == 1
    assert [issue["code"] for issue in json.loads(expired.stdout)["issues"]] == ["CERT_EXPIRED"]


def test_signed_by_another_organisation_than_the_sender_exits_1(
    app: typer.Typer, runner: CliRunner, certs: ExampleCertificates, tmp_path: Path,
    p12_signer_factory: Callable[[str], EnterpriseCertificateSigner],
) -> None:
    path = tmp_path / "re-signed.xml"
    path.write_bytes(serialize(p12_signer_factory("enterprise-b").sign(unsigned_msghead())))
    result = runner.invoke(app, ["verify", str(path), "--trust", str(certs.ca)])
    assert result.exit_code == 1
    assert [issue["code"] for issue in json.loads(result.stdout)["issues"]] == ["SENDER_SIGNER_MISMATCH"]


def test_card_holders_bind_a_card_signature_to_the_senders_practitioner(
    app: typer.Typer, runner: CliRunner, certs: ExampleCertificates, tmp_path: Path, card_signer: SmartCardSigner,
) -> None:
    path = tmp_path / "card-signed.xml"
    path.write_bytes(serialize(card_signer.sign(with_practitioner(unsigned_msghead(), "1234567"))))
    holders = tmp_path / "holders.json"

    def verify_with(hpr: str) -> Result:
        holders.write_text(json.dumps({PERSONAL_SERIAL: hpr}), encoding="utf-8")
        return runner.invoke(app, ["verify", str(path), "--trust", str(certs.ca), "--card-holders", str(holders)])

    assert verify_with("1234567").exit_code == 0
    other = verify_with("7654321")
    assert other.exit_code == 1
    assert [issue["code"] for issue in json.loads(other.stdout)["issues"]] == ["SENDER_SIGNER_MISMATCH"]
    holders.write_text("[]", encoding="utf-8")
    unreadable = runner.invoke(app, ["verify", str(path), "--card-holders", str(holders)])
    assert unreadable.exit_code == 2 and unreadable.stdout == ""


def test_certs_example_writes_a_set(app: typer.Typer, runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "made"
    result = runner.invoke(app, ["certs-example", "--out", str(out)])
    assert result.exit_code == 0, result.output
    made = ExampleCertificates(out)
    assert made.ca.is_file() and made.password_file.is_file()
    for name in LEAVES:
        assert made.cert(name).is_file() and made.key(name).is_file() and made.p12(name).is_file()
