"""``nordgate settle``: which certificate may sign, for which sender, and when (always now)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gateway.cli import build_app
from tests.gateway.settlement.service.helpers import AR_DATA, CA_PEM, CERTS, PASSWORD_FILE, batch, to_bytes

PHYSIO_SAMPLE = AR_DATA.parent / "settlements" / "kommunalt-fellesoppgjor-fysioterapi.json"
CARD_HOLDERS = CERTS.parent / "card-holders.json"


def settle(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(build_app(), ["settle", *args])
    return result.exit_code, result.output


def p12(name: str, ar_data: Path = AR_DATA) -> list[str]:
    return ["--signer", "enterprise", "--p12", str(CERTS / f"{name}.p12"), "--password-file", str(PASSWORD_FILE),
            "--trust", str(CA_PEM), "--ar-data", str(ar_data)]


def card(*extra: str) -> list[str]:
    return ["--pkcs11-module", "/nonexistent/libcard.so", "--token-label", "card", "--pin-env",
            "NORDGATE_TEST_NO_SUCH_PIN", "--trust", str(CA_PEM), "--ar-data", str(AR_DATA), *extra]


def written(tmp_path: Path, doc: dict[str, object]) -> str:
    path = tmp_path / "batch.json"
    path.write_bytes(to_bytes(doc))
    return str(path)


def test_the_issues_reproduction_a_sender_of_another_organisation_is_refused(tmp_path: Path) -> None:
    # The register as it was: Fysioterapitjenesten 964127808, while enterprise-a is 921000006.
    ar = tmp_path / "ar"
    shutil.copytree(AR_DATA, ar)
    party = ar / "8142531-eksempel-kommune-fysioterapi.json"
    data = json.loads(party.read_text(encoding="utf-8"))
    data |= {"organizationNumber": "964127808", "parentOrganizationNumber": "964127808"}
    party.write_text(json.dumps(data), encoding="utf-8")
    out = tmp_path / "signed.xml"
    code, output = settle(str(PHYSIO_SAMPLE), *p12("enterprise-a", ar), "--out", str(out))
    assert code == 2 and not out.exists()
    assert "SENDER_SIGNER_MISMATCH" in output
    assert all(number in output for number in ("organisation 921000006", "account: 921000006", "964127808"))


def test_a_signing_time_cannot_be_chosen(tmp_path: Path) -> None:
    # The issue's reproduction: an expired certificate, GenDate back-dated to when it was valid.
    out = tmp_path / "signed.xml"
    code, output = settle(str(PHYSIO_SAMPLE), *p12("expired"), "--out", str(out), "--at", "2022-06-01T10:00:00")
    assert code == 2 and not out.exists()
    assert "No such option" in output and "--at" in output


def test_an_expired_certificate_does_not_sign(tmp_path: Path) -> None:
    out = tmp_path / "signed.xml"
    code, output = settle(str(PHYSIO_SAMPLE), *p12("expired"), "--out", str(out))
    assert code == 2 and not out.exists() and "CERT_EXPIRED" in output


@pytest.mark.parametrize("signer", ["card", "personal"])
def test_a_card_offered_for_a_fellesoppgjor_is_cert_kind_mismatch_before_the_card_is_opened(signer: str) -> None:
    code, output = settle(str(PHYSIO_SAMPLE), "--signer", signer, *card())
    assert code == 2 and "CERT_KIND_MISMATCH" in output
    assert "SIGNING_SECRET_MISSING" not in output  # no PIN read for a card that may not sign this


def test_a_personal_certificate_in_a_pkcs12_file_for_a_fellesoppgjor_is_cert_kind_mismatch() -> None:
    code, output = settle(str(PHYSIO_SAMPLE), *p12("personal"))
    assert code == 2 and "CERT_KIND_MISMATCH" in output and "SIGNER_NOT_CONFIGURED" not in output


def test_an_enterprise_certificate_for_an_enkeltoppgjor_is_cert_kind_mismatch(tmp_path: Path) -> None:
    personal = written(tmp_path, batch(accounting_type="kommunalt-enkeltoppgjor-lege"))
    code, output = settle(personal, *p12("enterprise-a"))
    assert code == 2 and "CERT_KIND_MISMATCH" in output


def test_a_card_needs_the_card_holder_record(tmp_path: Path) -> None:
    personal = written(tmp_path, batch(accounting_type="kommunalt-enkeltoppgjor-lege"))
    code, output = settle(personal, "--signer", "card", *card())
    assert code == 2 and "--card-holders" in output
    code, output = settle(personal, "--signer", "card", *card("--card-holders", str(CARD_HOLDERS)))
    assert code == 2 and "SIGNING_SECRET_MISSING" in output  # past the record, on to the card's PIN
