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

from adapters.outbound.signing.binding import CardHolders
from adapters.outbound.signing.certificates import check_certificate, classify, personal_serial_number
from adapters.outbound.signing.xmldsig import sign_enveloped
from gateway.domain.parties import CertificateKind
from gateway.primitives.errors import ConfigurationError

__all__ = ["CertificateSigner"]


class CertificateSigner:
    """Base of the signers; implements the :class:`~gateway.ports.outbound.Signer` protocol.

    :meth:`sign` does not look at the clock: the settlement service calls :meth:`check` with the
    signing time and the account's expected kind and organisation number first.

    With ``card_holders`` a personal certificate is bound to its holder's HPR number
    (:attr:`holder_hpr`) once, here: a card missing from the record stops the start, as a wrong PIN
    does, rather than failing every settlement later.
    """

    def __init__(
        self,
        certificate: x509.Certificate,
        *,
        trust_anchors: Sequence[x509.Certificate],
        intermediates: Sequence[x509.Certificate] = (),
        card_holders: CardHolders | None = None,
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
        self._holder_hpr: str | None = None
        if card_holders is not None and kind is CertificateKind.PERSONAL:
            self._holder_hpr = card_holders.hpr_of(certificate)
            if self._holder_hpr is None:
                raise ConfigurationError(
                    "CARD_HOLDER_UNKNOWN",
                    f"the personal certificate {personal_serial_number(certificate)} is not in the card holder "
                    "record: register the card with its holder's HPR number first",
                )

    @property
    def kind(self) -> CertificateKind:
        return self._kind

    @property
    def holder_hpr(self) -> str | None:
        """HPR number of the personal card's holder per the card holder record; None for an
        enterprise certificate or when no record was given."""
        return self._holder_hpr

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
