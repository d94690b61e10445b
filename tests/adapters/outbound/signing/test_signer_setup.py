"""Constructing the signers: where secrets come from, and what a misconfiguration says (never the
secret itself)."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography import x509

from adapters.outbound.signing.credentials import read_secret
from adapters.outbound.signing.enterprise import EnterpriseCertificateSigner
from adapters.outbound.signing.example_certs import ORGNR_B, TEST_PASSWORD, ExampleCertificates
from adapters.outbound.signing.smartcard import SmartCardSigner
from adapters.outbound.signing.verify import verify_msghead
from gateway.primitives.errors import ConfigurationError

from .conftest import EMPTY_TOKEN_LABEL, REPO_ROOT, SoftHsmCard, load_cert, serialize, unsigned_msghead


def test_secret_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NORDGATE_TEST_SECRET", "s3cret")
    assert read_secret(what="PIN", env="NORDGATE_TEST_SECRET") == "s3cret"


def test_secret_from_file(tmp_path: Path) -> None:
    path = tmp_path / "pin"
    path.write_text("4321\n", encoding="utf-8")
    assert read_secret(what="PIN", file=path) == "4321"


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({}, "SIGNING_SECRET_SOURCE"),
        ({"env": "A", "file": "b"}, "SIGNING_SECRET_SOURCE"),
        ({"env": "NORDGATE_TEST_UNSET_VARIABLE"}, "SIGNING_SECRET_MISSING"),
        ({"file": "/nonexistent/pin"}, "SIGNING_SECRET_MISSING"),
    ],
)
def test_secret_errors(kwargs: dict[str, str], code: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        read_secret(what="PIN", **kwargs)
    assert caught.value.code == code


def test_pkcs12_password_from_env(
    certs: ExampleCertificates, ca: x509.Certificate, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NORDGATE_P12_PASSWORD", TEST_PASSWORD)
    signer = EnterpriseCertificateSigner(
        certs.p12("enterprise-b"), password_env="NORDGATE_P12_PASSWORD", trust_anchors=[ca]
    )
    assert verify_msghead(serialize(signer.sign(unsigned_msghead(ORGNR_B))), trust_anchors=[ca]).valid


def test_wrong_pkcs12_password_is_not_echoed(
    certs: ExampleCertificates, ca: x509.Certificate, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NORDGATE_P12_PASSWORD", "wrong-password-xyz")
    with pytest.raises(ConfigurationError) as caught:
        EnterpriseCertificateSigner(
            certs.p12("enterprise-a"), password_env="NORDGATE_P12_PASSWORD", trust_anchors=[ca]
        )
    assert caught.value.code == "PKCS12_UNREADABLE"
    assert "wrong-password-xyz" not in str(caught.value)
    assert "wrong-password-xyz" not in repr(caught.value)


def test_missing_pkcs12_file(certs: ExampleCertificates, ca: x509.Certificate) -> None:
    with pytest.raises(ConfigurationError) as caught:
        EnterpriseCertificateSigner(
            certs.directory / "none.p12", password_file=certs.password_file, trust_anchors=[ca]
        )
    assert caught.value.code == "PKCS12_UNREADABLE"


def test_wrong_pin_is_refused_and_not_echoed(
    softhsm_card: SoftHsmCard, ca: x509.Certificate, tmp_path: Path
) -> None:
    pin = tmp_path / "pin"
    pin.write_text("987654", encoding="utf-8")
    with pytest.raises(ConfigurationError) as caught:
        SmartCardSigner(
            softhsm_card.module, token_label=EMPTY_TOKEN_LABEL, pin_file=pin, trust_anchors=[ca]
        )
    assert caught.value.code == "SMARTCARD_PIN_REJECTED"
    assert "987654" not in str(caught.value)


def test_missing_token_and_key(softhsm_card: SoftHsmCard, ca: x509.Certificate) -> None:
    with pytest.raises(ConfigurationError) as caught:
        SmartCardSigner(
            softhsm_card.module, token_label="no-such-card", pin_file=softhsm_card.pin_file, trust_anchors=[ca]
        )
    assert caught.value.code == "SMARTCARD_TOKEN_NOT_FOUND"
    with pytest.raises(ConfigurationError) as caught:
        SmartCardSigner(
            softhsm_card.module,
            token_label=EMPTY_TOKEN_LABEL,
            pin_file=softhsm_card.pin_file,
            trust_anchors=[ca],
        )
    assert caught.value.code == "SMARTCARD_KEY_NOT_FOUND"


def test_missing_module(tmp_path: Path, ca: x509.Certificate) -> None:
    pin = tmp_path / "pin"
    pin.write_text("1234", encoding="utf-8")
    with pytest.raises(ConfigurationError) as caught:
        SmartCardSigner(tmp_path / "libnone.so", token_label="x", pin_file=pin, trust_anchors=[ca])
    assert caught.value.code == "SMARTCARD_MODULE_UNAVAILABLE"


def test_card_signer_reads_its_certificate_from_the_token(card_signer: SmartCardSigner) -> None:
    assert card_signer.certificate.subject.rfc4514_string().startswith("2.5.4.5=UN:NO-9578-4050-")
    assert "1234" not in repr(card_signer)


def test_second_signer_on_a_card_in_use_is_refused(
    softhsm_card: SoftHsmCard, card_signer: SmartCardSigner, ca: x509.Certificate
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        SmartCardSigner(
            softhsm_card.module,
            token_label=softhsm_card.token_label,
            pin_file=softhsm_card.pin_file,
            key_id=softhsm_card.key_id,
            trust_anchors=[ca],
        )
    assert caught.value.code == "SMARTCARD_IN_USE"
    # The signer already holding the card keeps working.
    assert verify_msghead(serialize(card_signer.sign(unsigned_msghead())), trust_anchors=[ca]).valid


def test_committed_example_set_is_usable() -> None:
    generated = REPO_ROOT / "certs-example" / "generated"
    if not generated.is_dir():
        pytest.skip("certs-example/generated is not present")
    made = ExampleCertificates(generated)
    ca = load_cert(made.ca)
    signer = EnterpriseCertificateSigner(made.p12("enterprise-a"), password_file=made.password_file, trust_anchors=[ca])
    assert verify_msghead(serialize(signer.sign(unsigned_msghead())), trust_anchors=[ca]).valid
    assert (REPO_ROOT / "certs-example" / "README.md").read_text(encoding="utf-8").find("NEVER IN PRODUCTION") > 0
