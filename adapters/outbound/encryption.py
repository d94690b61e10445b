"""CMS (PKCS#7) enveloped data: a signed message encrypted for its receiver, and the way back.

Chosen as NHN's own messaging library does it (Helsenorge.Messaging, ``SignThenEncryptMessageProtection``):

- content encryption **AES-256-CBC** (OID 2.16.840.1.101.3.4.1.42), the library's default
  ``MessagingEncryptionType.AES256``; its alternative, 3DES, is kept there only for old partners.
  AES-256 rather than ``cryptography``'s default AES-128 because it is that library's default, so
  what receivers on NHN's software already get;
- key transport **RSA PKCS#1 v1.5** (``rsaEncryption``), the default padding of .NET's
  ``CmsRecipient`` which that library uses; it is also the only key transport the
  ``cryptography`` envelope builder writes. OAEP would be stronger, but a receiver whose decryptor
  expects PKCS#1 v1.5 could not open the message;
- the recipient named by issuer and serial number, as there.

The content is enveloped byte for byte (:attr:`PKCS7Options.Binary`): without it the builder turns
every LF into CRLF (S/MIME canonical text), which breaks the XML-DSig digest of the signed MsgHead.

A receiver's certificate is accepted for encryption when it holds an RSA key, is valid at the
moment of encryption and has a key-usage extension with ``keyEncipherment`` (what that library's
certificate validator asks of an encryption certificate; a certificate without the extension is
refused too). :func:`encryption_certificate_issue` says why one is not.

Decryption (:class:`Decryptor`) takes DER, PEM (``PKCS7`` or ``CMS`` label) or S/MIME. It reads
AES-128/256-CBC content (``cryptography``) and DES-EDE3-CBC content (what NAV's ebXML processor
sends; :mod:`adapters.outbound.legacy_decryption`), each with RSA PKCS#1 v1.5 key transport to a
recipient named by issuer and serial number, and refuses with stable codes:
``ENCRYPTED_MESSAGE_UNREADABLE`` (400: not CMS enveloped data, or damaged),
``ENCRYPTED_FOR_ANOTHER_CERTIFICATE`` (422: no recipient is our certificate),
``ENCRYPTION_UNSUPPORTED`` (422: e.g. AES-192 content or RSA-OAEP key transport),
``DECRYPTION_FAILED`` (422: addressed to our certificate, but the key does not open it). CBC
content carries no integrity check of its own (CMS enveloped data has none; the XML signature
inside is what proves a message unaltered), so a damaged message may also decrypt to garbage,
which the AppRec reader then refuses.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from pathlib import Path
from typing import Final

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers import algorithms
from cryptography.hazmat.primitives.serialization import pkcs7, pkcs12

from adapters.outbound.cms import der_of
from adapters.outbound.legacy_decryption import decrypt_triple_des
from adapters.outbound.signing.credentials import read_secret
from gateway.primitives.errors import ConfigurationError, Issue, MalformedInput, Unprocessable

__all__ = [
    "MEDIA_TYPE",
    "Decryptor",
    "EncryptedForm",
    "encrypt_for",
    "encryption_certificate_issue",
    "read_certificate",
]

#: RFC 8551 media type of CMS enveloped data.
MEDIA_TYPE: Final = "application/pkcs7-mime; smime-type=enveloped-data"


class EncryptedForm(StrEnum):
    DER = "der"  # the CMS structure itself: what a transport carries
    SMIME = "smime"  # base64 with MIME headers: what ``openssl cms -decrypt`` reads by default


def encryption_certificate_issue(certificate: x509.Certificate, *, at: dt.datetime) -> Issue | None:
    """Why ``certificate`` may not be encrypted for at ``at``, or None when it may."""
    if not isinstance(certificate.public_key(), rsa.RSAPublicKey):
        return Issue("ENCRYPTION_CERTIFICATE_NOT_RSA", "the encryption certificate holds no RSA key (CMS key "
                     "transport here is RSA)")
    if at < certificate.not_valid_before_utc:
        return Issue("ENCRYPTION_CERTIFICATE_NOT_YET_VALID", "the encryption certificate is valid only from "
                     f"{certificate.not_valid_before_utc.isoformat()}")
    if at > certificate.not_valid_after_utc:
        return Issue("ENCRYPTION_CERTIFICATE_EXPIRED", "the encryption certificate expired "
                     f"{certificate.not_valid_after_utc.isoformat()}")
    try:
        usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return Issue("ENCRYPTION_CERTIFICATE_KEY_USAGE", "the encryption certificate has no key usage "
                     "extension (keyEncipherment is required)")
    if not usage.key_encipherment:
        return Issue("ENCRYPTION_CERTIFICATE_KEY_USAGE", "the encryption certificate's key usage lacks "
                     "keyEncipherment")
    return None


def read_certificate(path: Path) -> x509.Certificate:
    """A receiver's certificate from a PEM or DER file (``nordgate settle --encrypt-for``)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigurationError("ENCRYPTION_CERTIFICATE_UNREADABLE", f"cannot read {path} ({exc.strerror})") from None
    try:
        if data.lstrip().startswith(b"-----BEGIN"):
            return x509.load_pem_x509_certificate(data)
        return x509.load_der_x509_certificate(data)
    except ValueError:
        raise ConfigurationError("ENCRYPTION_CERTIFICATE_UNREADABLE", f"{path} holds no PEM or DER X.509 "
                                 "certificate") from None


def encrypt_for(payload: bytes, certificate: x509.Certificate, *,
                form: EncryptedForm = EncryptedForm.DER) -> bytes:
    """``payload`` as CMS enveloped data for ``certificate`` (AES-256-CBC, RSA PKCS#1 v1.5).

    The caller checks the certificate first (:func:`encryption_certificate_issue`); here a
    non-RSA key is a programming error (TypeError from the builder)."""
    builder = (
        pkcs7.PKCS7EnvelopeBuilder()
        .set_data(payload)
        .add_recipient(certificate)
        .set_content_encryption_algorithm(algorithms.AES256)
    )
    encoding = serialization.Encoding.DER if form is EncryptedForm.DER else serialization.Encoding.SMIME
    return builder.encrypt(encoding, [pkcs7.PKCS7Options.Binary])


class Decryptor:
    """Opens CMS enveloped data addressed to one certificate of ours, with its private key."""

    def __init__(self, certificate: x509.Certificate, key: rsa.RSAPrivateKey) -> None:
        public = certificate.public_key()
        if not isinstance(public, rsa.RSAPublicKey) or public.public_numbers() != key.public_key().public_numbers():
            raise ConfigurationError("DECRYPTION_KEY_MISMATCH", "the decryption key does not belong to its "
                                     "certificate")
        self._certificate = certificate
        self._key = key

    @classmethod
    def from_pkcs12(cls, path: Path, *, password_env: str | None = None,
                    password_file: Path | None = None) -> Decryptor:
        """The key and certificate of a PKCS#12 file; the password as for the signers (a variable's
        NAME or a file, never a value), not kept after the file is opened."""
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ConfigurationError("DECRYPTION_P12_UNREADABLE", f"PKCS#12 file {path} cannot be read "
                                     f"({exc.strerror})") from None
        password = read_secret(what="decryption PKCS#12 password", env=password_env, file=password_file)
        try:
            key, certificate, _ = pkcs12.load_key_and_certificates(data, password.encode("utf-8"))
        except (ValueError, TypeError):
            raise ConfigurationError("DECRYPTION_P12_UNREADABLE", f"PKCS#12 file {path}: wrong password or "
                                     "damaged file") from None
        finally:
            del password
        if certificate is None or not isinstance(key, rsa.RSAPrivateKey):
            raise ConfigurationError("DECRYPTION_P12_INCOMPLETE", f"PKCS#12 file {path} lacks an RSA key or its "
                                     "certificate")
        return cls(certificate, key)

    @property
    def certificate(self) -> x509.Certificate:
        return self._certificate

    def __repr__(self) -> str:
        return f"Decryptor(certificate={self._certificate.subject.rfc4514_string()!r})"

    def decrypt(self, data: bytes) -> bytes:
        """The content, exactly as it was enveloped; refusals as the module docstring lists."""
        try:
            der = der_of(data)
            try:
                return pkcs7.pkcs7_decrypt_der(der, self._certificate, self._key, [])
            except UnsupportedAlgorithm:
                return decrypt_triple_des(der, self._certificate, self._key)
        except UnsupportedAlgorithm as exc:
            raise Unprocessable("ENCRYPTION_UNSUPPORTED", f"cannot decrypt this message: {exc}; read are AES-128/256-"
                                "CBC and DES-EDE3-CBC content with RSA PKCS#1 v1.5 key transport") from None
        except ValueError as exc:
            raise _refusal(str(exc), self._certificate) from None


def _refusal(reason: str, certificate: x509.Certificate) -> MalformedInput | Unprocessable:
    """cryptography's ValueError texts → stable codes. Its texts are matched, not shown: they may
    carry ASN.1 parser internals the sender needs no view of."""
    if "No recipient found" in reason:
        return Unprocessable("ENCRYPTED_FOR_ANOTHER_CERTIFICATE", "the message is not encrypted for this gateway's "
                             f"certificate (issuer {certificate.issuer.rfc4514_string()}, serial "
                             f"{certificate.serial_number:X})")
    if "decrypt" in reason.lower() or "padding" in reason.lower():
        return Unprocessable("DECRYPTION_FAILED", "the message names this gateway's certificate but does not "
                             "decrypt with its key (damaged, or encrypted with another key of the same name)")
    return MalformedInput("ENCRYPTED_MESSAGE_UNREADABLE", "the body is not CMS enveloped data (DER, PEM or "
                          "S/MIME) or it is damaged")
