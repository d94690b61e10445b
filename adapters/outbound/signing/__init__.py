"""Signing and verifying HELFO settlement messages (enveloped XML-DSig over MsgHead).

- :class:`EnterpriseCertificateSigner`: the municipality's enterprise certificate from PKCS#12;
- :class:`SmartCardSigner`: the practitioner's personal card through PKCS#11;
- :func:`verify_msghead`: what a receiver checks, as a :class:`VerificationReport`;
- :func:`check_certificate` / :func:`classify`: the SEID certificate rules both sides share.
"""

from __future__ import annotations

from adapters.outbound.signing.base import CertificateSigner
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
from adapters.outbound.signing.smartcard import SmartCardSigner
from adapters.outbound.signing.verify import VerificationReport, parse_time, verify_msghead
from adapters.outbound.signing.xmldsig import RawSigner, sign_enveloped

__all__ = [
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
