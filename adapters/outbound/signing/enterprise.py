"""Signing with the municipality's enterprise certificate (virksomhetssertifikat) from a PKCS#12 file.

The file is opened and the key decrypted once, at construction; every message after that costs one
RSA operation. The password is read from an environment variable or a file (see
:mod:`~adapters.outbound.signing.credentials`) and not kept after the file is opened.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs12

from adapters.outbound.signing.base import CertificateSigner
from adapters.outbound.signing.credentials import read_secret
from gateway.primitives.errors import ConfigurationError

__all__ = ["EnterpriseCertificateSigner"]


class EnterpriseCertificateSigner(CertificateSigner):
    """A :class:`~gateway.ports.outbound.Signer` whose RSA key comes from a PKCS#12 file.

    Certificates the file carries besides the signer's own are used as intermediates when the
    chain is checked and are sent along in ``KeyInfo``.
    """

    def __init__(
        self,
        pkcs12_path: Path | str,
        *,
        password_env: str | None = None,
        password_file: Path | str | None = None,
        trust_anchors: Sequence[x509.Certificate],
        intermediates: Sequence[x509.Certificate] = (),
    ) -> None:
        path = Path(pkcs12_path)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ConfigurationError(
                "PKCS12_UNREADABLE", f"PKCS#12 file {path} cannot be read ({exc.strerror})"
            ) from None
        password = read_secret(what="PKCS#12 password", env=password_env, file=password_file)
        try:
            key, certificate, additional = pkcs12.load_key_and_certificates(
                data, password.encode("utf-8")
            )
        except (ValueError, TypeError):
            # cryptography says "invalid password or PKCS12 data" either way; the password is not
            # repeated here.
            raise ConfigurationError(
                "PKCS12_UNREADABLE", f"PKCS#12 file {path}: wrong password or damaged file"
            ) from None
        finally:
            del password
        if key is None or certificate is None:
            raise ConfigurationError(
                "PKCS12_INCOMPLETE", f"PKCS#12 file {path} lacks a private key or its certificate"
            )
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ConfigurationError("SIGNING_KEY_NOT_RSA", f"PKCS#12 file {path} holds no RSA key")
        certificate_key = certificate.public_key()
        if (
            not isinstance(certificate_key, rsa.RSAPublicKey)
            or certificate_key.public_numbers() != key.public_key().public_numbers()
        ):
            raise ConfigurationError(
                "PKCS12_KEY_MISMATCH", f"PKCS#12 file {path}: the key does not belong to the certificate"
            )
        super().__init__(
            certificate,
            trust_anchors=trust_anchors,
            intermediates=(*intermediates, *additional),
        )
        self._key = key

    def _raw_sign(self, data: bytes) -> bytes:
        return self._key.sign(data, padding.PKCS1v15(), hashes.SHA256())

    def __repr__(self) -> str:
        # The default repr would be harmless, but a signer should never invite printing its state.
        return f"EnterpriseCertificateSigner(subject={self.certificate.subject.rfc4514_string()!r})"
