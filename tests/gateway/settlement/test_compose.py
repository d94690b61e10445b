"""compose_signed: the signer of the right kind, speaking for the sender, at the signing time.

Signed with the real PKCS#12 signers of ``certs-example/generated`` and the stand-in address register
read in-process; a good message is proven with xmlsec1 as well as our verifier.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from adapters.outbound.address_register import AddressRegisterClient
from adapters.outbound.signing.enterprise import EnterpriseCertificateSigner
from adapters.outbound.signing.verify import verify_msghead
from gateway.bootstrap.settlement import in_process_register
from gateway.domain.parties import CertificateKind
from gateway.domain.settlement import SettlementPlan
from gateway.ports.outbound import Signer
from gateway.primitives.errors import SigningRefused, TransientError
from gateway.settlement.batch import parse_batch
from gateway.settlement.compose import compose_signed
from gateway.settlement.rules import check
from tests.gateway.settlement.service.helpers import (
    AR_DATA,
    CA_PEM,
    CERTS,
    ORGNR_A,
    PASSWORD_FILE,
    anchors,
    batch,
    enterprise_signer,
    register,
    to_bytes,
)

#: "Eksempel legekontor" in the stand-in AR: organisation 991203117, not enterprise-a's 921000006.
OTHER_ORGANISATION_SENDER = "8142519"


def plan_of(**overrides: object) -> SettlementPlan:
    return check(parse_batch(to_bytes(batch(**overrides))))  # type: ignore[arg-type]


def p12_signer(name: str) -> EnterpriseCertificateSigner:
    """Any PKCS#12 of the example set; the kind is the certificate's (``personal`` gives a personal one)."""
    return EnterpriseCertificateSigner(CERTS / f"{name}.p12", password_file=PASSWORD_FILE, trust_anchors=anchors())


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def register_with(tmp_path: Path, her_id: str, **fields: object) -> AddressRegisterClient:
    """The stand-in register with one party's JSON changed."""
    data = tmp_path / "ar"
    shutil.copytree(AR_DATA, data)
    path = next(data.glob(f"{her_id}-*.json"))
    party = json.loads(path.read_text(encoding="utf-8"))
    party.update(fields)
    path.write_text(json.dumps(party), encoding="utf-8")
    return in_process_register(data)


# --- sender = signer (enterprise) ------------------------------------------------------------------


def test_the_register_naming_another_organisation_for_the_sender_is_refused_with_all_three_numbers() -> None:
    plan = plan_of(sender=OTHER_ORGANISATION_SENDER)  # account 921000006 = the certificate's
    with pytest.raises(SigningRefused) as caught:
        compose_signed(plan, register=register(), signers={CertificateKind.ENTERPRISE: enterprise_signer()},
                       at=now())
    refusal = caught.value
    assert (refusal.code, refusal.http_status, refusal.her_id) == ("SENDER_SIGNER_MISMATCH", 422, "8142519")
    assert "certificate is for organisation 921000006" in refusal.message
    assert "the account: 921000006" in refusal.message
    assert "the address register for sender HER-id 8142519: 991203117" in refusal.message


def test_the_issues_reproduction_the_physiotherapy_sample_against_the_old_register_is_refused(tmp_path: Path) -> None:
    # Before the stand-in register was made consistent, Fysioterapitjenesten was 964127808 there: the
    # message was signed by 921000006 in the name of 964127808.
    old = register_with(tmp_path, "8142531", organizationNumber="964127808", parentOrganizationNumber="964127808")
    sample = (AR_DATA.parent / "settlements" / "kommunalt-fellesoppgjor-fysioterapi.json").read_bytes()
    with pytest.raises(SigningRefused) as caught:
        compose_signed(check(parse_batch(sample)), register=old,
                       signers={CertificateKind.ENTERPRISE: enterprise_signer()}, at=now())
    assert caught.value.code == "SENDER_SIGNER_MISMATCH"
    assert "8142531: 964127808" in caught.value.message and "organisation 921000006" in caught.value.message


def test_an_account_of_another_organisation_is_refused() -> None:
    with pytest.raises(SigningRefused) as caught:
        compose_signed(plan_of(orgnr="964000018"), register=register(),
                       signers={CertificateKind.ENTERPRISE: enterprise_signer()}, at=now())
    assert caught.value.code == "SENDER_SIGNER_MISMATCH" and "the account: 964000018" in caught.value.message


def test_a_certificate_of_another_organisation_than_account_and_register_is_refused() -> None:
    with pytest.raises(SigningRefused) as caught:
        compose_signed(plan_of(), register=register(), signers={CertificateKind.ENTERPRISE: p12_signer("enterprise-b")},
                       at=now())
    assert caught.value.code == "SENDER_SIGNER_MISMATCH"
    assert "organisation 964000018" in caught.value.message and "8142531: 921000006" in caught.value.message


def test_a_department_without_a_number_of_its_own_is_bound_by_its_parents(tmp_path: Path) -> None:
    department = register_with(tmp_path, "8142531", type="Department", organizationNumber=None)
    signed = compose_signed(plan_of(), register=department,
                            signers={CertificateKind.ENTERPRISE: enterprise_signer()}, at=now())
    report = verify_msghead(signed.xml, trust_anchors=anchors())
    assert report.valid, report.to_json()
    assert report.signed is not None and report.signed.sender_organisation_numbers == [ORGNR_A]


def test_when_all_three_agree_the_message_verifies_with_xmlsec1_and_ours(tmp_path: Path) -> None:
    xmlsec1 = shutil.which("xmlsec1")
    if xmlsec1 is None:
        pytest.skip("xmlsec1 is not installed (apt-get install xmlsec1); CI installs it")
    signed = compose_signed(plan_of(), register=register(), signers={CertificateKind.ENTERPRISE: enterprise_signer()},
                            at=now())
    out = tmp_path / "signed.xml"
    out.write_bytes(signed.xml)
    result = subprocess.run([xmlsec1, "--verify", "--trusted-pem", str(CA_PEM), str(out)], capture_output=True,
                            text=True, check=False, timeout=60)
    assert result.returncode == 0, result.stderr
    report = verify_msghead(signed.xml, trust_anchors=anchors())
    assert report.valid, report.to_json()
    assert report.certificate is not None and report.signed is not None
    assert report.certificate.organisation_number == ORGNR_A == report.signed.sender_organisation_numbers[0]


# --- the signer's kind ---------------------------------------------------------------------------


def test_a_personal_certificate_offered_for_a_fellesoppgjor_is_cert_kind_mismatch() -> None:
    personal = p12_signer("personal")
    assert personal.kind is CertificateKind.PERSONAL
    with pytest.raises(SigningRefused) as caught:
        compose_signed(plan_of(), register=register(), signers={CertificateKind.PERSONAL: personal}, at=now())
    assert (caught.value.code, caught.value.http_status) == ("CERT_KIND_MISMATCH", 422)
    assert "enterprise certificate" in caught.value.message and "offered is personal" in caught.value.message


def test_an_enterprise_certificate_offered_for_an_enkeltoppgjor_is_cert_kind_mismatch() -> None:
    with pytest.raises(SigningRefused) as caught:
        compose_signed(plan_of(accounting_type="kommunalt-enkeltoppgjor-lege"), register=register(),
                       signers={CertificateKind.ENTERPRISE: enterprise_signer()}, at=now())
    assert caught.value.code == "CERT_KIND_MISMATCH"


def test_a_certificate_of_the_wrong_kind_filed_under_the_right_one_is_cert_kind_mismatch() -> None:
    signers: dict[CertificateKind, Signer] = {CertificateKind.ENTERPRISE: p12_signer("personal")}
    with pytest.raises(SigningRefused) as caught:
        compose_signed(plan_of(), register=register(), signers=signers, at=now())
    assert caught.value.code == "CERT_KIND_MISMATCH"


def test_no_signer_at_all_is_still_signer_not_configured() -> None:
    with pytest.raises(TransientError) as caught:
        compose_signed(plan_of(), register=register(), signers={}, at=now())
    assert (caught.value.code, caught.value.http_status) == ("SIGNER_NOT_CONFIGURED", 503)


# --- the signing time ------------------------------------------------------------------------------


def test_a_back_dated_signing_time_does_not_let_an_expired_certificate_sign() -> None:
    # expired.p12: valid 2020-01-01 to 2023-01-01, so valid at this GenDate but not now.
    back_dated = dt.datetime(2022, 6, 1, 10, 0, tzinfo=dt.UTC)
    with pytest.raises(SigningRefused) as caught:
        compose_signed(plan_of(), register=register(), signers={CertificateKind.ENTERPRISE: p12_signer("expired")},
                       at=back_dated)
    assert caught.value.code == "CERT_EXPIRED"


@pytest.mark.parametrize(("at", "code"), [
    (dt.datetime(2041, 1, 1, tzinfo=dt.UTC), "CERT_EXPIRED"),          # enterprise-a ends 2040-01-01
    (dt.datetime(2023, 6, 1, tzinfo=dt.UTC), "CERT_NOT_YET_VALID"),    # and starts 2024-01-01
])
def test_the_certificate_is_also_checked_at_the_signing_time_itself(at: dt.datetime, code: str) -> None:
    with pytest.raises(SigningRefused) as caught:
        compose_signed(plan_of(), register=register(), signers={CertificateKind.ENTERPRISE: enterprise_signer()},
                       at=at)
    assert caught.value.code == code


def test_gen_date_is_the_signing_time() -> None:
    at = now().replace(microsecond=0)
    signed = compose_signed(plan_of(), register=register(), signers={CertificateKind.ENTERPRISE: enterprise_signer()},
                            at=at)
    report = verify_msghead(signed.xml, trust_anchors=anchors())
    assert report.valid and signed.signed_at == at
    assert report.checked_at is not None and dt.datetime.fromisoformat(report.checked_at) == at
