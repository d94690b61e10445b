"""Signed data made by OpenSSL (``openssl cms -sign``, the independent implementation the CMS
signature check is held to), and enterprise certificates of any organisation issued by
certs-example's test CA or by a throwaway CA of the test's own."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from adapters.outbound.signing.certificates import ENTERPRISE_POLICY_OID

REPO = Path(__file__).resolve().parents[3]
CERTS = REPO / "certs-example" / "generated"
CA_PEM = CERTS / "ca.pem"
#: Inside the certificates' validity (2024-01-01 to 2040-01-01); the expired one ended 2023.
AT = dt.datetime(2025, 3, 4, 10, 0, tzinfo=dt.UTC)
_FROM = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
_TO = dt.datetime(2040, 1, 1, tzinfo=dt.UTC)

Issuer = tuple[x509.Certificate, rsa.RSAPrivateKey]


@dataclass(frozen=True, slots=True)
class Identity:
    """A certificate and its key as files, which is how ``openssl cms -sign`` takes them."""

    cert: Path
    key: Path

    @property
    def certificate(self) -> x509.Certificate:
        return x509.load_pem_x509_certificate(self.cert.read_bytes())


def example(name: str) -> Identity:
    """One of certs-example's leaves (enterprise-a, enterprise-b, personal, untrusted, expired, …)."""
    return Identity(CERTS / f"{name}.pem", CERTS / f"{name}.key.pem")


def openssl() -> str:
    path = shutil.which("openssl")
    if path is None:
        pytest.skip("openssl is not installed (apt-get install openssl; CI installs it)")
    return path


def run(*args: str | Path, stdin: bytes | None = None) -> bytes:
    done = subprocess.run([str(a) for a in args], input=stdin, capture_output=True, check=False)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    return done.stdout


def sign(content: bytes, *signers: Identity, md: str = "sha256", form: str = "DER",
         options: tuple[str | Path, ...] = (), attached: bool = True) -> bytes:
    """``content`` signed by OpenSSL in binary mode (byte for byte, no CRLF canonicalisation).
    ``options`` go after the signers, where ``-keyopt`` applies to the last."""
    signer_args: list[str | Path] = []
    for identity in signers:
        signer_args += ["-signer", identity.cert, "-inkey", identity.key]
    return run(openssl(), "cms", "-sign", "-binary", *(["-nodetach"] if attached else []), "-md", md, *signer_args,
               *options, "-outform", form, stdin=content)


def encrypt(content: bytes, recipient: Path, *, form: str = "DER") -> bytes:
    """``content`` as enveloped data for ``recipient``'s certificate, as OpenSSL makes it."""
    return run(openssl(), "cms", "-encrypt", "-binary", "-aes256", "-outform", form, recipient, stdin=content)


def example_ca() -> Issuer:
    """certs-example's test CA with its key (TEST ONLY)."""
    key = serialization.load_pem_private_key((CERTS / "ca.key.pem").read_bytes(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return x509.load_pem_x509_certificate(CA_PEM.read_bytes()), key


def new_ca(name: str, issuer: Issuer | None = None) -> Issuer:
    """A CA of the test's own: a root when ``issuer`` is None, else an intermediate under it."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Nordgate TEST ONLY"),
                         x509.NameAttribute(NameOID.COMMON_NAME, name)])
    issuer_cert, issuer_key = issuer if issuer is not None else (None, key)
    cert = (
        x509.CertificateBuilder().subject_name(subject)
        .issuer_name(issuer_cert.subject if issuer_cert is not None else subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(_FROM).not_valid_after(_TO)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                                     encipher_only=False, decipher_only=False), critical=True)
        .sign(issuer_key, hashes.SHA256())
    )
    return cert, key


def enterprise(directory: Path, orgnr: str, issuer: Issuer, *, name: str = "TEST VIRKSOMHET") -> Identity:
    """An SEID-shaped enterprise signing certificate (organizationIdentifier NTRNO-``orgnr``,
    nonRepudiation) issued by ``issuer``, written to ``directory``."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    issuer_cert, issuer_key = issuer
    subject = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "NO"),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, name),
                         x509.NameAttribute(NameOID.COMMON_NAME, name),
                         x509.NameAttribute(NameOID.ORGANIZATION_IDENTIFIER, f"NTRNO-{orgnr}")])
    cert = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(issuer_cert.subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(_FROM).not_valid_after(_TO)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=True, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.CertificatePolicies([x509.PolicyInformation(ENTERPRISE_POLICY_OID, None)]),
                       critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(issuer_key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    identity = Identity(directory / f"{orgnr}.pem", directory / f"{orgnr}.key.pem")
    identity.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    identity.key.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
    return identity


def pem(certificate: x509.Certificate, path: Path) -> Path:
    path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return path
