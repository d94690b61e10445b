"""Test certificates shaped like the Norwegian SEID profiles. TEST ONLY, NEVER IN PRODUCTION.

Makes a test CA and, signed by it: a personal smart-card certificate, enterprise certificates of
two municipalities with different organisation numbers, and for negative tests an expired one, one
with the wrong key usage and one from a second, untrusted CA; two encryption certificates (key
usage keyEncipherment + dataEncipherment) stand for a message receiver's and the first
municipality's own, for CMS encryption of delivered messages and of incoming AppRecs. Each leaf is
written as a PEM certificate, an unencrypted PEM (PKCS#8) key and a PKCS#12 file protected by the
fixed test password in ``password.txt``.

Lives in the package (not only in ``certs-example/``) so the installed wheel can make a demo set:
``nordgate certs-example``.
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from adapters.outbound.signing.certificates import ENTERPRISE_POLICY_OID, PERSONAL_POLICY_OID

__all__ = [
    "LEAVES",
    "ORGNR_A",
    "ORGNR_B",
    "ORGNR_RECEIVER",
    "PERSONAL_SERIAL",
    "TEST_PASSWORD",
    "ExampleCertificates",
    "generate",
    "main",
]

# Published on purpose: it protects only the TEST keys next to it.
TEST_PASSWORD: Final = "nordgate-test-only"  # noqa: S105
ORGNR_A: Final = "921000006"  # "Eksempel kommune"; valid mod 11, not a real organisation
ORGNR_B: Final = "964000018"  # "Prøvestad kommune"
ORGNR_RECEIVER: Final = "999000002"  # "Eksempel oppgjørsmottaker", who settlements are encrypted for
PERSONAL_SERIAL: Final = "UN:NO-9578-4050-100105515"
LEAVES: Final = ("personal", "enterprise-a", "enterprise-b", "expired", "wrong-key-usage", "untrusted",
                 "receiver-encryption", "enterprise-a-encryption")

_VALID_FROM: Final = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
_VALID_TO: Final = dt.datetime(2040, 1, 1, tzinfo=dt.UTC)
_EXPIRED_FROM: Final = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
_EXPIRED_TO: Final = dt.datetime(2023, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True, slots=True)
class ExampleCertificates:
    """Where :func:`generate` put each file."""

    directory: Path

    @property
    def ca(self) -> Path:
        return self.directory / "ca.pem"

    @property
    def untrusted_ca(self) -> Path:
        return self.directory / "untrusted-ca.pem"

    @property
    def password_file(self) -> Path:
        return self.directory / "password.txt"

    def cert(self, name: str) -> Path:
        return self.directory / f"{name}.pem"

    def key(self, name: str) -> Path:
        return self.directory / f"{name}.key.pem"

    def p12(self, name: str) -> Path:
        return self.directory / f"{name}.p12"


def _name(*parts: tuple[x509.ObjectIdentifier, str]) -> x509.Name:
    return x509.Name([x509.NameAttribute(oid, value) for oid, value in parts])


def _municipality(orgnr: str, name: str) -> x509.Name:
    return _name(
        (NameOID.COUNTRY_NAME, "NO"),
        (NameOID.ORGANIZATION_NAME, name),
        (NameOID.COMMON_NAME, name),
        (NameOID.ORGANIZATION_IDENTIFIER, f"NTRNO-{orgnr}"),
    )


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _usage(*, non_repudiation: bool = False, key_encipherment: bool = False, data_encipherment: bool = False,
           ca: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=False,
        content_commitment=non_repudiation,
        key_encipherment=key_encipherment,
        data_encipherment=data_encipherment,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def _ca(common_name: str) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    key = _key()
    subject = _name(
        (NameOID.COUNTRY_NAME, "NO"),
        (NameOID.ORGANIZATION_NAME, "Nordgate TEST ONLY"),
        (NameOID.COMMON_NAME, common_name),
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(_VALID_FROM)
        .not_valid_after(_VALID_TO)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_usage(ca=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return cert, key


def _leaf(
    subject: x509.Name,
    policy: x509.ObjectIdentifier,
    issuer: tuple[x509.Certificate, rsa.RSAPrivateKey],
    *,
    usage: x509.KeyUsage,
    valid: tuple[dt.datetime, dt.datetime] = (_VALID_FROM, _VALID_TO),
) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    key = _key()
    issuer_cert, issuer_key = issuer
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(valid[0])
        .not_valid_after(valid[1])
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(usage, critical=True)
        .add_extension(x509.CertificatePolicies([x509.PolicyInformation(policy, None)]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False
        )
        .sign(issuer_key, hashes.SHA256())
    )
    return cert, key


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _key_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def generate(out_dir: Path) -> ExampleCertificates:
    """Write a fresh set into ``out_dir`` (created if needed; existing files are replaced)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    result = ExampleCertificates(out_dir)
    ca = _ca("Nordgate Test CA (TEST ONLY)")
    other_ca = _ca("Nordgate Untrusted Test CA (TEST ONLY)")
    signing = _usage(non_repudiation=True)
    encryption = _usage(key_encipherment=True, data_encipherment=True)
    municipality_a = _municipality(ORGNR_A, "EKSEMPEL KOMMUNE")
    personal_subject = _name(
        (NameOID.COUNTRY_NAME, "NO"),
        (NameOID.SURNAME, "TESTLEGE"),
        (NameOID.GIVEN_NAME, "KARI"),
        (NameOID.COMMON_NAME, "KARI TESTLEGE"),
        (NameOID.SERIAL_NUMBER, PERSONAL_SERIAL),
    )
    leaves = {
        "personal": _leaf(personal_subject, PERSONAL_POLICY_OID, ca, usage=signing),
        "enterprise-a": _leaf(municipality_a, ENTERPRISE_POLICY_OID, ca, usage=signing),
        "enterprise-b": _leaf(
            _municipality(ORGNR_B, "PRØVESTAD KOMMUNE"), ENTERPRISE_POLICY_OID, ca, usage=signing
        ),
        "expired": _leaf(
            municipality_a, ENTERPRISE_POLICY_OID, ca, usage=signing, valid=(_EXPIRED_FROM, _EXPIRED_TO)
        ),
        "wrong-key-usage": _leaf(
            municipality_a, ENTERPRISE_POLICY_OID, ca, usage=_usage(key_encipherment=True)
        ),
        "untrusted": _leaf(municipality_a, ENTERPRISE_POLICY_OID, other_ca, usage=signing),
        "receiver-encryption": _leaf(
            _municipality(ORGNR_RECEIVER, "EKSEMPEL OPPGJØRSMOTTAKER"), ENTERPRISE_POLICY_OID, ca, usage=encryption
        ),
        "enterprise-a-encryption": _leaf(municipality_a, ENTERPRISE_POLICY_OID, ca, usage=encryption),
    }
    result.ca.write_bytes(_pem(ca[0]))
    result.key("ca").write_bytes(_key_pem(ca[1]))
    result.untrusted_ca.write_bytes(_pem(other_ca[0]))
    result.password_file.write_text(TEST_PASSWORD + "\n", encoding="utf-8")
    protection = serialization.BestAvailableEncryption(TEST_PASSWORD.encode("utf-8"))
    for name, (cert, key) in leaves.items():
        result.cert(name).write_bytes(_pem(cert))
        result.key(name).write_bytes(_key_pem(key))
        result.p12(name).write_bytes(
            pkcs12.serialize_key_and_certificates(name.encode("ascii"), key, cert, None, protection)
        )
    return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Make SEID-shaped TEST certificates (never production).")
    parser.add_argument("--out", type=Path, default=Path("certs-example") / "generated")
    args = parser.parse_args(argv)
    made = generate(args.out)
    print(f"test certificates written to {made.directory} (TEST ONLY, NEVER IN PRODUCTION)")
    return 0
