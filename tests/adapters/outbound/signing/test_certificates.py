"""SEID classification and the checks before signing, each refusal with its own code."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from adapters.outbound.signing.certificates import (
    ENTERPRISE_POLICY_OID,
    PERSONAL_POLICY_OID,
    certificate_issues,
    chains_to,
    check_certificate,
    classify,
    describe,
    organisation_number,
)
from adapters.outbound.signing.enterprise import EnterpriseCertificateSigner
from adapters.outbound.signing.example_certs import ORGNR_A, ORGNR_B, ExampleCertificates
from gateway.domain.parties import CertificateKind
from gateway.primitives.errors import SigningRefused
from gateway.primitives.identifiers import is_valid_orgnr

from .conftest import certificate_of, load_cert

AT = dt.datetime(2025, 3, 4, 10, 15, tzinfo=dt.UTC)
Factory = Callable[[str], EnterpriseCertificateSigner]


def _refusal(signer: EnterpriseCertificateSigner, kind: CertificateKind, orgnr: str | None) -> str:
    with pytest.raises(SigningRefused) as caught:
        signer.check(at=AT, expected_kind=kind, organisation_number=orgnr)
    assert caught.value.http_status == 422
    return caught.value.code


def test_example_orgnrs_are_valid() -> None:
    assert is_valid_orgnr(ORGNR_A) and is_valid_orgnr(ORGNR_B)
    assert len({ORGNR_A, ORGNR_B}) == 2


def test_classification_of_generated_certificates(certs: ExampleCertificates) -> None:
    personal = load_cert(certs.cert("personal"))
    enterprise = load_cert(certs.cert("enterprise-b"))
    assert classify(personal) is CertificateKind.PERSONAL
    assert organisation_number(personal) is None
    assert classify(enterprise) is CertificateKind.ENTERPRISE
    assert organisation_number(enterprise) == ORGNR_B
    facts = describe(personal)
    assert "serialNumber=UN:NO-9578-4050-100105515" in facts.subject
    assert facts.key_usage == ("nonRepudiation",)
    assert "organizationIdentifier=NTRNO-" + ORGNR_B in describe(enterprise).subject


def test_classification_of_the_real_buypass_certificate(nav_sample: bytes) -> None:
    cert = certificate_of(nav_sample)
    assert classify(cert) is CertificateKind.ENTERPRISE
    assert organisation_number(cert) == "993954896"


def _self_signed(
    subject: list[tuple[x509.ObjectIdentifier, str]],
    *,
    policies: tuple[x509.ObjectIdentifier, ...] = (),
    key_size: int = 2048,
) -> x509.Certificate:
    key = rsa.generate_private_key(public_exponent=65537, key_size=key_size)
    name = x509.Name([x509.NameAttribute(oid, value) for oid, value in subject])
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(dt.datetime(2024, 1, 1, tzinfo=dt.UTC))
        .not_valid_after(dt.datetime(2040, 1, 1, tzinfo=dt.UTC))
        .add_extension(
            x509.KeyUsage(False, True, False, False, False, False, False, False, False), critical=True
        )
    )
    if policies:
        builder = builder.add_extension(
            x509.CertificatePolicies([x509.PolicyInformation(oid, None) for oid in policies]), critical=False
        )
    return builder.sign(key, hashes.SHA256())


def test_seid1_serial_number_is_an_enterprise_mark() -> None:
    cert = _self_signed([(NameOID.SERIAL_NUMBER, ORGNR_B), (NameOID.COMMON_NAME, "X")])
    assert classify(cert) is CertificateKind.ENTERPRISE
    assert organisation_number(cert) == ORGNR_B


def test_conflicting_marks_have_no_kind() -> None:
    cert = _self_signed(
        [(NameOID.SERIAL_NUMBER, "UN:NO-9578-4050-1"), (NameOID.COMMON_NAME, "X")],
        policies=(ENTERPRISE_POLICY_OID,),
    )
    assert classify(cert) is None
    assert classify(_self_signed([(NameOID.COMMON_NAME, "plain")])) is None
    assert classify(_self_signed([(NameOID.COMMON_NAME, "p")], policies=(PERSONAL_POLICY_OID,))) is (
        CertificateKind.PERSONAL
    )


def test_personal_certificate_refused_for_enterprise_signing(p12_signer_factory: Factory) -> None:
    signer = p12_signer_factory("personal")
    assert _refusal(signer, CertificateKind.ENTERPRISE, ORGNR_A) == "CERT_KIND_MISMATCH"


def test_enterprise_certificate_refused_for_personal_signing(p12_signer_factory: Factory) -> None:
    assert _refusal(p12_signer_factory("enterprise-a"), CertificateKind.PERSONAL, None) == "CERT_KIND_MISMATCH"


def test_other_municipality_refused(p12_signer_factory: Factory) -> None:
    signer = p12_signer_factory("enterprise-b")
    assert _refusal(signer, CertificateKind.ENTERPRISE, ORGNR_A) == "CERT_ORGNR_MISMATCH"


def test_enterprise_signing_needs_the_sender_orgnr(p12_signer_factory: Factory) -> None:
    assert _refusal(p12_signer_factory("enterprise-a"), CertificateKind.ENTERPRISE, None) == (
        "CERT_ORGNR_MISMATCH"
    )


def test_expired_refused(p12_signer_factory: Factory) -> None:
    assert _refusal(p12_signer_factory("expired"), CertificateKind.ENTERPRISE, ORGNR_A) == "CERT_EXPIRED"


def test_not_yet_valid_refused(p12_signer_factory: Factory) -> None:
    signer = p12_signer_factory("enterprise-a")
    with pytest.raises(SigningRefused) as caught:
        signer.check(
            at=dt.datetime(2023, 6, 1, tzinfo=dt.UTC),
            expected_kind=CertificateKind.ENTERPRISE,
            organisation_number=ORGNR_A,
        )
    assert caught.value.code == "CERT_NOT_YET_VALID"


def test_untrusted_refused(p12_signer_factory: Factory) -> None:
    assert _refusal(p12_signer_factory("untrusted"), CertificateKind.ENTERPRISE, ORGNR_A) == "CERT_UNTRUSTED"


def test_wrong_key_usage_refused(p12_signer_factory: Factory) -> None:
    signer = p12_signer_factory("wrong-key-usage")
    assert _refusal(signer, CertificateKind.ENTERPRISE, ORGNR_A) == "CERT_KEY_USAGE"


def test_each_negative_certificate_has_exactly_its_own_finding(
    certs: ExampleCertificates, ca: x509.Certificate
) -> None:
    expected = {
        "expired": ["CERT_EXPIRED"],
        "wrong-key-usage": ["CERT_KEY_USAGE"],
        "untrusted": ["CERT_UNTRUSTED"],
        "enterprise-a": [],
    }
    for name, codes in expected.items():
        issues = certificate_issues(
            load_cert(certs.cert(name)),
            at=AT,
            trust_anchors=[ca],
            expected_kind=CertificateKind.ENTERPRISE,
            organisation_number_expected=ORGNR_A,
        )
        assert [issue.code for issue in issues] == codes, name


# Made with `openssl req -x509 -sha1 ...` (cryptography no longer signs with SHA-1); public test data.
SHA1_CERT_PEM = b"""\
-----BEGIN CERTIFICATE-----
MIIDdzCCAl+gAwIBAgIUXcBApLa8SVCBn7v5Vnq/V/RzI0QwDQYJKoZIhvcNAQEF
BQAwQzELMAkGA1UEBhMCTk8xDDAKBgNVBAoMA09MRDEMMAoGA1UEAwwDT0xEMRgw
FgYDVQRhDA9OVFJOTy05MjEwMDAwMDYwHhcNMjYxMTIzMTQyOTE0WhcNMzYxMTIw
MTQyOTE0WjBDMQswCQYDVQQGEwJOTzEMMAoGA1UECgwDT0xEMQwwCgYDVQQDDANP
TEQxGDAWBgNVBGEMD05UUk5PLTkyMTAwMDAwNjCCASIwDQYJKoZIhvcNAQEBBQAD
ggEPADCCAQoCggEBAK/mc7xXjU2Cmumd0DRAomPyUTReYdvUejTKlnD0GNePOgNk
CIeHpVK8sfEGRFKLlAOtDHXiisvkx9/LpVxWINR3D/g9fx5WM/lbKGG/bQtpyRWN
jILFsV+PWzeTph5pt8BJzcVaEH3W2AvNACrHRnNNfzfwZLz7z+P+3yBFkPrIx16C
g4htlX6DDOZI0zpgPGZM+T6DNE7sjHIzneDCz4N+LsOKTMuIJd532Yee8JOSChVe
ojtSFadWhZo4WK9qsxyqE5aXW4XfKHj7aWPHStUqgRJQVDcP9J7jStjKEQ5lodCu
ceVAWlm/PYwUh795DJ/qF5OEJBwtMWTNJeGZkC0CAwEAAaNjMGEwHQYDVR0OBBYE
FCklmqHFJpC0WAWLY4lic23pXtkDMB8GA1UdIwQYMBaAFCklmqHFJpC0WAWLY4li
c23pXtkDMA8GA1UdEwEB/wQFMAMBAf8wDgYDVR0PAQH/BAQDAgZAMA0GCSqGSIb3
DQEBBQUAA4IBAQCiy5B+AJdOt4HQtettLlPchKIOxvSi1mom/pKk+uSlVSrI6Vor
1mdZeno+GZ6+xVyAjl29DghPyWjror2UULScUUjLJOq9BRPGO3+ZlPlsz88+GB3H
7Orc59SscVq5ud2PHSiLp69AHCsZqHVkHVuMJJYl8NGHmpgjKcgmiu/as9i5pHTt
mhVAKuDh+w367fKuZu1OUH/hA1lTIAOdu94v2tlgtw5KhWeI8CbfOzF5quiv0enh
E6D+LeD+h5/sabBr4/L8ULAgr7PThFDV7A4StbwDx1C059vqZjgUUObB6osYF4Sn
gWPyRLNPYU7ATBwm6Rlr6fFnUftxahQ2EaQk
-----END CERTIFICATE-----
"""


def test_sha1_certificate_refused() -> None:
    cert = x509.load_pem_x509_certificate(SHA1_CERT_PEM)
    with pytest.raises(SigningRefused) as caught:
        check_certificate(
            cert,
            at=cert.not_valid_before_utc + dt.timedelta(days=1),
            expected_kind=CertificateKind.ENTERPRISE,
            organisation_number_expected=ORGNR_A,
            trust_anchors=[cert],
        )
    assert caught.value.code == "CERT_WEAK_ALGORITHM"


def test_short_rsa_key_refused() -> None:
    cert = _self_signed(
        [(NameOID.ORGANIZATION_IDENTIFIER, f"NTRNO-{ORGNR_A}"), (NameOID.COMMON_NAME, "small")], key_size=1024
    )
    issues = certificate_issues(cert, at=AT, trust_anchors=[cert])
    assert [issue.code for issue in issues] == ["CERT_WEAK_ALGORITHM"]


def test_no_trust_anchors_trusts_nothing(certs: ExampleCertificates) -> None:
    assert not chains_to(load_cert(certs.cert("enterprise-a")), [], at=AT)


def test_chain_through_an_intermediate(certs: ExampleCertificates, ca: x509.Certificate) -> None:
    leaf = load_cert(certs.cert("enterprise-a"))
    # The CA given as an intermediate only is not an anchor: nothing trusted.
    assert not chains_to(leaf, [], intermediates=[ca], at=AT)
    assert chains_to(leaf, [ca], at=AT)
    # A leaf is not a CA: it cannot vouch for another certificate even when configured as anchor.
    other = load_cert(certs.cert("enterprise-b"))
    assert not chains_to(other, [leaf], at=AT)


def test_refusal_carries_all_findings(p12_signer_factory: Factory) -> None:
    signer = p12_signer_factory("expired")
    with pytest.raises(SigningRefused) as caught:
        signer.check(at=AT, expected_kind=CertificateKind.PERSONAL, organisation_number=None)
    assert [issue.code for issue in caught.value.issues] == ["CERT_KIND_MISMATCH", "CERT_EXPIRED"]


def test_naive_time_is_oslo_time(p12_signer_factory: Factory) -> None:
    # 2040-01-01T00:30 in Oslo is 2039-12-31T23:30 UTC: still inside the validity.
    signer = p12_signer_factory("enterprise-a")
    signer.check(
        at=dt.datetime(2040, 1, 1, 0, 30), expected_kind=CertificateKind.ENTERPRISE, organisation_number=ORGNR_A
    )


def test_an_intermediate_below_a_path_length_zero_ca_is_not_trusted(
    certs: ExampleCertificates, ca: x509.Certificate
) -> None:
    # The example CA says pathlen:0: it may sign end entities only. A CA certificate it signed (a
    # mis-issued intermediate) must not vouch for anything, although every signature is good.
    ca_key = serialization.load_pem_private_key(certs.key("ca").read_bytes(), password=None)
    assert isinstance(ca_key, rsa.RSAPrivateKey)
    middle_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    leaf_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    start, end = AT - dt.timedelta(days=30), AT + dt.timedelta(days=30)
    middle_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mis-issued intermediate")])
    middle = (
        x509.CertificateBuilder().subject_name(middle_name).issuer_name(ca.subject)
        .public_key(middle_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(start).not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(middle_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_IDENTIFIER, f"NTRNO-{ORGNR_A}"),
                                 x509.NameAttribute(NameOID.COMMON_NAME, "below the mis-issued intermediate")]))
        .issuer_name(middle_name).public_key(leaf_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(start).not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(False, True, False, False, False, False, False, False, False), critical=True)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(middle_key.public_key()), critical=False)
        .sign(middle_key, hashes.SHA256())
    )
    assert leaf.verify_directly_issued_by(middle) is None and middle.verify_directly_issued_by(ca) is None
    assert not chains_to(leaf, [ca], intermediates=[middle], at=AT)
