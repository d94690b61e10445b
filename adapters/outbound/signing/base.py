"""What both signers share: the certificate they hold, the check before signing, the signing.

A concrete signer only supplies the raw RSA operation (:meth:`CertificateSigner._raw_sign`); the
certificate checks and the XML-DSig are the same whether the key sits in a file or on a card.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree

from adapters.outbound.ports import CertificateKind
from adapters.outbound.signing.certificates import check_certificate, classify
from adapters.outbound.signing.xmldsig import sign_enveloped
from gateway.errors import ConfigurationError

__all__ = ["CertificateSigner"]


class CertificateSigner:
    """Base of the signers; implements the :class:`~adapters.outbound.ports.Signer` protocol.

    :meth:`sign` does not look at the clock: the settlement service calls :meth:`check` with the
    signing time and the account's expected kind and organisation number first.
    """

    def __init__(
        self,
        certificate: x509.Certificate,
        *,
        trust_anchors: Sequence[x509.Certificate],
        intermediates: Sequence[x509.Certificate] = (),
    ) -> None:
        if not isinstance(certificate.public_key(), rsa.RSAPublicKey):
            raise ConfigurationError(
                "SIGNING_KEY_NOT_RSA", "the signing certificate must hold an RSA key (rsa-sha256)"
            )
        kind = classify(certificate)
        if kind is None:
            raise ConfigurationError(
                "CERT_KIND_UNKNOWN",
                "the signing certificate is neither a SEID personal nor an enterprise certificate",
            )
        self._certificate = certificate
        self._certificate_der = certificate.public_bytes(Encoding.DER)
        self._kind = kind
        self._trust_anchors = tuple(trust_anchors)
        self._intermediates = tuple(intermediates)
        self._chain_der = tuple(cert.public_bytes(Encoding.DER) for cert in self._intermediates)

    @property
    def kind(self) -> CertificateKind:
        return self._kind

    @property
    def certificate(self) -> x509.Certificate:
        return self._certificate

    @property
    def certificate_der(self) -> bytes:
        return self._certificate_der

    def check(
        self, *, at: dt.datetime, expected_kind: CertificateKind, organisation_number: str | None
    ) -> None:
        """Raise SigningRefused with a distinct code when this certificate may not sign at ``at``."""
        check_certificate(
            self._certificate,
            at=at,
            expected_kind=expected_kind,
            organisation_number_expected=organisation_number,
            trust_anchors=self._trust_anchors,
            intermediates=self._intermediates,
        )

    def sign(self, msghead: etree._Element) -> etree._Element:
        """Append an enveloped ds:Signature as MsgHead's last child and return the root."""
        return sign_enveloped(
            msghead,
            certificate_der=self._certificate_der,
            raw_sign=self._raw_sign,
            chain_der=self._chain_der,
        )

    def _raw_sign(self, data: bytes) -> bytes:  # pragma: no cover - always overridden
        raise NotImplementedError

    def close(self) -> None:
        """Release what the signer holds open; the base holds nothing."""

    def __enter__(self) -> CertificateSigner:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
