"""Signing and verifying HELFO settlement messages (enveloped XML-DSig over MsgHead).

- :class:`EnterpriseCertificateSigner`: the municipality's enterprise certificate from PKCS#12;
- :class:`SmartCardSigner`: the practitioner's personal card through PKCS#11;
- :func:`verify_msghead`: what a receiver checks, as a :class:`VerificationReport`;
- :func:`check_certificate` / :func:`classify`: the SEID certificate rules both sides share;
- :class:`CardHolders`: whose personal card is whose, for binding a signer to its sender.

:class:`SmartCardSigner` is imported on first use: it loads python-pkcs11, which nothing that only
checks or verifies certificates (the settlement composer, ``nordgate verify``) needs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from adapters.outbound.signing.base import CertificateSigner
from adapters.outbound.signing.binding import CardHolders
from adapters.outbound.signing.certificates import (
    CertificateFacts,
    certificate_issues,
    chains_to,
    check_certificate,
    classify,
    describe,
    organisation_number,
)
from adapters.outbound.signing.enterprise import EnterpriseCertificateSigner
from adapters.outbound.signing.verify import VerificationReport, parse_time, verify_msghead
from adapters.outbound.signing.xmldsig import RawSigner, sign_enveloped

if TYPE_CHECKING:
    from adapters.outbound.signing.smartcard import SmartCardSigner

__all__ = [
    "CardHolders",
    "CertificateFacts",
    "CertificateSigner",
    "EnterpriseCertificateSigner",
    "RawSigner",
    "SmartCardSigner",
    "VerificationReport",
    "certificate_issues",
    "chains_to",
    "check_certificate",
    "classify",
    "describe",
    "organisation_number",
    "parse_time",
    "sign_enveloped",
    "verify_msghead",
]


def __getattr__(name: str) -> object:
    if name == "SmartCardSigner":
        from adapters.outbound.signing.smartcard import SmartCardSigner  # noqa: PLC0415 - see the docstring

        return SmartCardSigner
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
