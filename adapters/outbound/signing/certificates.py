"""What a certificate is (SEID personal card or enterprise), and whether it may sign now.

The Norwegian SEID profiles tell the two kinds apart by subject and policy:

- personal (Buypass smart card): subject ``serialNumber=UN:NO-9578-4050-…``, policy
  2.16.578.1.26.1.3.1;
- enterprise (virksomhetssertifikat): subject ``organizationIdentifier=NTRNO-<orgnr>`` (SEID 2) or
  ``serialNumber=<orgnr>`` (SEID 1), policy 2.16.578.1.26.1.3.2.

Both marks are read; a certificate whose marks disagree has no kind and may sign nothing.

:func:`certificate_issues` lists every reason a certificate may not sign, each with a stable code;
:func:`check_certificate` raises the first as :class:`~gateway.primitives.errors.SigningRefused` and carries the
rest in ``issues``. The same list feeds the verifier, so signing and verification never disagree on
what a good certificate is.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final
from zoneinfo import ZoneInfo

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID
from cryptography.x509.verification import ExtensionPolicy, PolicyBuilder, Store, VerificationError

from gateway.domain.parties import CertificateKind
from gateway.primitives.errors import Issue, SigningRefused

__all__ = [
    "ENTERPRISE_POLICY_OID",
    "MIN_RSA_BITS",
    "PERSONAL_POLICY_OID",
    "CertificateFacts",
    "as_aware",
    "certificate_issues",
    "chains_to",
    "check_certificate",
    "classify",
    "describe",
    "organisation_number",
    "personal_serial_number",
    "sha256_fingerprint",
]

PERSONAL_POLICY_OID: Final = x509.ObjectIdentifier("2.16.578.1.26.1.3.1")
ENTERPRISE_POLICY_OID: Final = x509.ObjectIdentifier("2.16.578.1.26.1.3.2")
MIN_RSA_BITS: Final = 2048
_MAX_CHAIN: Final = 8

_PERSONAL_SERIAL = re.compile(r"^UN:NO-\d")
_NTRNO = re.compile(r"^NTRNO-(\d{9})$")
_SEID1_ORGNR = re.compile(r"^(\d{9})$")
_WEAK_HASHES: Final = frozenset({"md5", "sha1", "md2", "md4"})
_NAME_OVERRIDES: Final = {
    NameOID.ORGANIZATION_IDENTIFIER: "organizationIdentifier",
    NameOID.SERIAL_NUMBER: "serialNumber",
    NameOID.GIVEN_NAME: "givenName",
    NameOID.SURNAME: "surname",
}


@dataclass(frozen=True, slots=True)
class CertificateFacts:
    """The facts of one certificate a report shows; no verdict in here."""

    kind: CertificateKind | None
    subject: str
    issuer: str
    serial_number: str
    organisation_number: str | None
    not_before: dt.datetime
    not_after: dt.datetime
    key_usage: tuple[str, ...]
    signature_hash: str | None


def as_aware(moment: dt.datetime) -> dt.datetime:
    """A naive time is Norwegian local time: that is what MsgHead GenDate and users mean.

    ZoneInfo caches its instances, so looking the zone up here costs nothing after the first call
    and nothing is read at import time.
    """
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=ZoneInfo("Europe/Oslo"))


def _subject_values(cert: x509.Certificate, oid: x509.ObjectIdentifier) -> list[str]:
    return [str(attr.value) for attr in cert.subject.get_attributes_for_oid(oid)]


def _policy_oids(cert: x509.Certificate) -> set[x509.ObjectIdentifier]:
    try:
        ext = cert.extensions.get_extension_for_class(x509.CertificatePolicies)
    except x509.ExtensionNotFound:
        return set()
    return {info.policy_identifier for info in ext.value}


def classify(cert: x509.Certificate) -> CertificateKind | None:
    """Personal, enterprise, or None when the certificate carries no SEID mark or conflicting ones."""
    kinds: set[CertificateKind] = set()
    policies = _policy_oids(cert)
    if PERSONAL_POLICY_OID in policies:
        kinds.add(CertificateKind.PERSONAL)
    if ENTERPRISE_POLICY_OID in policies:
        kinds.add(CertificateKind.ENTERPRISE)
    serials = _subject_values(cert, NameOID.SERIAL_NUMBER)
    if any(_PERSONAL_SERIAL.match(value) for value in serials):
        kinds.add(CertificateKind.PERSONAL)
    if any(_SEID1_ORGNR.match(value) for value in serials) or any(
        _NTRNO.match(value) for value in _subject_values(cert, NameOID.ORGANIZATION_IDENTIFIER)
    ):
        kinds.add(CertificateKind.ENTERPRISE)
    return kinds.pop() if len(kinds) == 1 else None


def organisation_number(cert: x509.Certificate) -> str | None:
    """The organisation number in an enterprise certificate's subject (SEID 2 first, then SEID 1)."""
    for value in _subject_values(cert, NameOID.ORGANIZATION_IDENTIFIER):
        match = _NTRNO.match(value)
        if match:
            return match.group(1)
    for value in _subject_values(cert, NameOID.SERIAL_NUMBER):
        match = _SEID1_ORGNR.match(value)
        if match:
            return match.group(1)
    return None


def personal_serial_number(cert: x509.Certificate) -> str | None:
    """The card holder's identifier in a personal certificate's subject (``UN:NO-9578-4050-…``).

    It is the issuer's own identifier for the person, neither a fødselsnummer nor an HPR number:
    SEID personal certificates carry neither (see :mod:`~adapters.outbound.signing.binding`).
    """
    return next((value for value in _subject_values(cert, NameOID.SERIAL_NUMBER) if _PERSONAL_SERIAL.match(value)),
                None)


def _key_usage(cert: x509.Certificate) -> x509.KeyUsage | None:
    try:
        return cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return None


def _key_usage_names(usage: x509.KeyUsage | None) -> tuple[str, ...]:
    if usage is None:
        return ()
    names = [
        "digitalSignature",
        "nonRepudiation",
        "keyEncipherment",
        "dataEncipherment",
        "keyAgreement",
        "keyCertSign",
        "cRLSign",
    ]
    flags = [
        usage.digital_signature,
        usage.content_commitment,
        usage.key_encipherment,
        usage.data_encipherment,
        usage.key_agreement,
        usage.key_cert_sign,
        usage.crl_sign,
    ]
    return tuple(name for name, flag in zip(names, flags, strict=True) if flag)


def _signature_hash(cert: x509.Certificate) -> str | None:
    try:
        algorithm = cert.signature_hash_algorithm
    except Exception:  # an algorithm cryptography does not know is no better than a weak one
        return "unknown"
    return None if algorithm is None else algorithm.name


def describe(cert: x509.Certificate) -> CertificateFacts:
    return CertificateFacts(
        kind=classify(cert),
        subject=cert.subject.rfc4514_string(_NAME_OVERRIDES),
        issuer=cert.issuer.rfc4514_string(_NAME_OVERRIDES),
        serial_number=format(cert.serial_number, "X"),
        organisation_number=organisation_number(cert),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        key_usage=_key_usage_names(_key_usage(cert)),
        signature_hash=_signature_hash(cert),
    )


def _is_weak(cert: x509.Certificate) -> bool:
    name = _signature_hash(cert)
    if name is not None and name.lower() in _WEAK_HASHES | {"unknown"}:
        return True
    key = cert.public_key()
    return isinstance(key, rsa.RSAPublicKey) and key.key_size < MIN_RSA_BITS


def _within(cert: x509.Certificate, at: dt.datetime) -> bool:
    return cert.not_valid_before_utc <= at <= cert.not_valid_after_utc


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


def chains_to(
    cert: x509.Certificate,
    trust_anchors: Sequence[x509.Certificate],
    *,
    intermediates: Sequence[x509.Certificate] = (),
    at: dt.datetime,
) -> bool:
    """True when ``cert`` is an anchor itself or a valid chain leads from it to one.

    The path is built and checked by ``cryptography.x509.verification`` (signatures, CA basic
    constraints and path length, CA key usage, validity of every link, strong signature
    algorithms), not by hand. The CAs get the Web PKI profile's checks; the end entity's kind and
    key usage are left to :func:`certificate_issues`, which gives each finding its own code. A
    certificate outside its validity at ``at`` chains to nothing.
    """
    if not trust_anchors:
        return False
    der = cert.public_bytes(Encoding.DER)
    if any(anchor.public_bytes(Encoding.DER) == der for anchor in trust_anchors):
        return True
    verifier = (
        PolicyBuilder()
        .store(Store(list(trust_anchors)))
        .time(as_aware(at))
        .max_chain_depth(_MAX_CHAIN)
        .extension_policies(ca_policy=ExtensionPolicy.webpki_defaults_ca(), ee_policy=ExtensionPolicy.permit_all())
        .build_client_verifier()
    )
    try:
        verifier.verify(cert, list(intermediates))
    except VerificationError:
        return False
    return True


def certificate_issues(
    cert: x509.Certificate,
    *,
    at: dt.datetime,
    trust_anchors: Sequence[x509.Certificate],
    intermediates: Sequence[x509.Certificate] = (),
    expected_kind: CertificateKind | None = None,
    organisation_number_expected: str | None = None,
) -> list[Issue]:
    """Every reason ``cert`` may not sign at ``at``; empty when it may.

    With ``expected_kind`` ENTERPRISE the sending organisation's number is required and must be the
    one in the subject: an enterprise certificate speaks for exactly one organisation.
    """
    when = as_aware(at)
    issues: list[Issue] = []
    kind = classify(cert)
    if expected_kind is not None and kind != expected_kind:
        shown = kind.value if kind else "unknown"
        issues.append(
            Issue("CERT_KIND_MISMATCH", f"a {expected_kind.value} certificate is required, this is {shown}")
        )
    if when < cert.not_valid_before_utc:
        issues.append(
            Issue("CERT_NOT_YET_VALID", f"certificate is valid from {cert.not_valid_before_utc.isoformat()}")
        )
    elif when > cert.not_valid_after_utc:
        issues.append(Issue("CERT_EXPIRED", f"certificate expired {cert.not_valid_after_utc.isoformat()}"))
    if _is_weak(cert):
        issues.append(
            Issue(
                "CERT_WEAK_ALGORITHM",
                f"certificate signature hash {_signature_hash(cert)} or key size is not acceptable",
            )
        )
    usage = _key_usage(cert)
    if usage is None or not (usage.content_commitment or usage.digital_signature):
        issues.append(
            Issue("CERT_KEY_USAGE", "key usage allows neither nonRepudiation nor digitalSignature")
        )
    # An expired or not yet valid certificate is refused for that; whether it chains at a moment it
    # is not valid is not a question with an answer.
    if _within(cert, when) and not chains_to(cert, trust_anchors, intermediates=intermediates, at=when):
        issues.append(Issue("CERT_UNTRUSTED", "certificate does not chain to a configured trust anchor"))
    if expected_kind is CertificateKind.ENTERPRISE and kind is CertificateKind.ENTERPRISE:
        found = organisation_number(cert)
        if organisation_number_expected is None or found != organisation_number_expected:
            issues.append(
                Issue(
                    "CERT_ORGNR_MISMATCH",
                    f"certificate is for organisation {found}, "
                    f"the sender is {organisation_number_expected or 'not given'}",
                )
            )
    return issues


def check_certificate(
    cert: x509.Certificate,
    *,
    at: dt.datetime,
    expected_kind: CertificateKind,
    organisation_number_expected: str | None,
    trust_anchors: Sequence[x509.Certificate],
    intermediates: Sequence[x509.Certificate] = (),
) -> None:
    """Raise :class:`SigningRefused` (code of the first finding, all findings in ``issues``)."""
    issues = certificate_issues(
        cert,
        at=at,
        trust_anchors=trust_anchors,
        intermediates=intermediates,
        expected_kind=expected_kind,
        organisation_number_expected=organisation_number_expected,
    )
    if issues:
        first = issues[0]
        raise SigningRefused(first.code, first.message, issues=issues)


def sha256_fingerprint(cert: x509.Certificate) -> str:
    return cert.fingerprint(hashes.SHA256()).hex()
