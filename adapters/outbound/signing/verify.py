"""Verify a signed MsgHead the way a receiver must, and say exactly what was signed.

Only the one shape the profile allows is accepted, which is what makes signature wrapping
impossible rather than merely detected: the document element is MsgHead, there is exactly one
``ds:Signature`` in the whole document and it is MsgHead's last child, it has exactly one
``Reference`` with ``URI=""`` and the enveloped-signature transform (optionally followed by C14N
1.0). The digest therefore covers the whole document minus that one signature, and everything the
report shows (MsgId, GenDate, parties) is read from that same tree after the digest matched.

Every failed check is listed with a stable code; ``valid`` is true only when the list is empty.
No trust anchors means nothing is trusted: secure by default. A trusted signature is not enough: the
signer must be the sender the message names (``SENDER_SIGNER_MISMATCH``,
:mod:`~adapters.outbound.signing.binding`): an enterprise certificate's organisation number must be
the ENH of ``Sender/Organisation``; a personal card's holder, when a card holder record is given,
the sender's ``HealthcareProfessional``.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Final

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from lxml import etree

from adapters.outbound.signing.binding import CardHolders, holder_issue, organisation_issue
from adapters.outbound.signing.certificates import (
    as_aware,
    certificate_issues,
    describe,
    organisation_number,
    personal_serial_number,
    sha256_fingerprint,
)
from adapters.outbound.signing.xmldsig import (
    C14N_10,
    DIGEST_ALGORITHMS,
    DSIG_NS,
    ENVELOPED_SIGNATURE,
    SIGNATURE_ALGORITHMS,
    WEAK_ALGORITHMS,
    canonicalize,
    detach_keeping_tail,
)
from gateway.domain.parties import CertificateKind
from gateway.primitives.errors import Issue
from gateway.primitives.xmlsafe import parse_xml

__all__ = [
    "DEFAULT_MAX_BYTES",
    "MSGHEAD_NS",
    "CertificateReport",
    "Finding",
    "SignedContent",
    "VerificationReport",
    "parse_time",
    "verify_msghead",
]

MSGHEAD_NS: Final = "http://www.kith.no/xmlstds/msghead/2006-05-24"
# A settlement of tens of thousands of bills is far over parse_xml's general 5 MiB default.
DEFAULT_MAX_BYTES: Final = 64 * 1024 * 1024

_DS = f"{{{DSIG_NS}}}"
_MH = f"{{{MSGHEAD_NS}}}"
_HASHES: Final[dict[str, hashes.HashAlgorithm]] = {
    "sha256": hashes.SHA256(),
    "sha384": hashes.SHA384(),
    "sha512": hashes.SHA512(),
}


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    message: str


@dataclass(slots=True)
class SignedContent:
    """Read from the signed tree only, after the structural checks."""

    msg_id: str | None = None
    msg_type: str | None = None
    gen_date: str | None = None
    sender_her_ids: list[str] = field(default_factory=list)
    sender_organisation_numbers: list[str] = field(default_factory=list)
    sender_practitioner_hprs: list[str] = field(default_factory=list)
    receiver_her_ids: list[str] = field(default_factory=list)
    receiver_organisation_numbers: list[str] = field(default_factory=list)


@dataclass(slots=True)
class CertificateReport:
    kind: str | None
    subject: str
    issuer: str
    serial_number: str
    sha256_fingerprint: str
    organisation_number: str | None
    not_before: str
    not_after: str
    valid_at_time: bool
    trusted: bool
    key_usage: list[str]
    signature_hash: str | None


@dataclass(slots=True)
class VerificationReport:
    valid: bool
    checked_at: str | None
    signature_method: str | None = None
    digest_method: str | None = None
    signed: SignedContent | None = None
    certificate: CertificateReport | None = None
    issues: list[Finding] = field(default_factory=list)

    @property
    def codes(self) -> list[str]:
        return [issue.code for issue in self.issues]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)


def parse_time(text: str) -> dt.datetime:
    """ISO 8601 date or date-time; without an offset it is Norwegian local time."""
    value = text.strip()
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        moment = dt.datetime.combine(dt.date.fromisoformat(value), dt.time())
    return as_aware(moment)


class _Invalid(Exception):
    """Stops the structural checks: past this point nothing about the message can be trusted."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.finding = Finding(code, message)


def _children(element: etree._Element) -> list[etree._Element]:
    # Comments and PIs inside the signature are dropped by C14N, so they neither help nor harm.
    return [child for child in element if isinstance(child.tag, str)]


def _algorithm(element: etree._Element, expected_local: str) -> str:
    if element.tag != _DS + expected_local or _children(element):
        raise _Invalid("SIGNATURE_MALFORMED", f"expected ds:{expected_local} without children")
    return element.get("Algorithm", "")


def _check_algorithm(uri: str, allowed: dict[str, str], what: str) -> str:
    if uri in WEAK_ALGORITHMS:
        raise _Invalid("ALGORITHM_WEAK", f"{what} {uri} is refused (SHA-1 / MD5)")
    if uri not in allowed:
        raise _Invalid("ALGORITHM_UNSUPPORTED", f"{what} {uri or '(none)'} is not supported")
    return allowed[uri]


@dataclass(slots=True)
class _Parsed:
    signature: etree._Element
    signed_info: etree._Element
    signature_method: str
    signature_hash: str
    digest_method: str
    digest_hash: str
    digest_value: bytes
    signature_value: bytes
    certificates: list[x509.Certificate]


def _structure(root: etree._Element) -> _Parsed:
    if root.tag != _MH + "MsgHead":
        raise _Invalid("ROOT_NOT_MSGHEAD", f"the document element is {root.tag}, not MsgHead")
    signatures = list(root.iter(_DS + "Signature"))
    if not signatures:
        raise _Invalid("SIGNATURE_MISSING", "the message carries no ds:Signature")
    if len(signatures) > 1:
        raise _Invalid("SIGNATURE_DUPLICATE", f"the message carries {len(signatures)} ds:Signature elements")
    signature = signatures[0]
    if signature.getparent() is not root or root[-1] is not signature:
        raise _Invalid("SIGNATURE_MISPLACED", "ds:Signature must be the last child of MsgHead")
    parts = _children(signature)
    names = [part.tag for part in parts]
    if names not in ([_DS + "SignedInfo", _DS + "SignatureValue"],
                     [_DS + "SignedInfo", _DS + "SignatureValue", _DS + "KeyInfo"]):
        raise _Invalid("SIGNATURE_MALFORMED", "ds:Signature must hold SignedInfo, SignatureValue, KeyInfo")
    signed_info, value_element = parts[0], parts[1]
    info = _children(signed_info)
    if len(info) < 3 or any(part.tag != _DS + "Reference" for part in info[2:]):
        raise _Invalid("SIGNATURE_MALFORMED", "SignedInfo must hold its methods and a Reference")
    c14n = _algorithm(info[0], "CanonicalizationMethod")
    if c14n != C14N_10:
        raise _Invalid("C14N_UNSUPPORTED", f"SignedInfo canonicalisation {c14n or '(none)'} is not C14N 1.0")
    signature_method = _algorithm(info[1], "SignatureMethod")
    signature_hash = _check_algorithm(signature_method, SIGNATURE_ALGORITHMS, "signature method")
    references = info[2:]
    if len(references) != 1:
        raise _Invalid("REFERENCE_COUNT", f"exactly one Reference is allowed, found {len(references)}")
    reference = references[0]
    if reference.get("URI") != "":
        raise _Invalid("REFERENCE_NOT_WHOLE_DOCUMENT", 'the Reference must have URI="" (the whole MsgHead)')
    ref_parts = _children(reference)
    if [part.tag for part in ref_parts] != [_DS + "Transforms", _DS + "DigestMethod", _DS + "DigestValue"]:
        raise _Invalid("SIGNATURE_MALFORMED", "Reference must hold Transforms, DigestMethod, DigestValue")
    transforms = [_algorithm(part, "Transform") for part in _children(ref_parts[0])]
    if transforms not in ([ENVELOPED_SIGNATURE], [ENVELOPED_SIGNATURE, C14N_10]):
        raise _Invalid(
            "TRANSFORM_UNSUPPORTED", "only enveloped-signature, optionally followed by C14N 1.0, is allowed"
        )
    digest_method = _algorithm(ref_parts[1], "DigestMethod")
    digest_hash = _check_algorithm(digest_method, DIGEST_ALGORITHMS, "digest method")
    try:
        digest_value = base64.b64decode(ref_parts[2].text or "", validate=False)
        signature_value = base64.b64decode(value_element.text or "", validate=False)
    except (binascii.Error, ValueError):
        raise _Invalid("SIGNATURE_MALFORMED", "DigestValue or SignatureValue is not base64") from None
    certificates: list[x509.Certificate] = []
    if len(parts) == 3:
        for element in parts[2].iter(_DS + "X509Certificate"):
            try:
                certificate = x509.load_der_x509_certificate(base64.b64decode(element.text or ""))
                # Extensions are decoded lazily: read them now, so a damaged one is this finding and
                # not an exception later in the certificate checks.
                certificate.extensions  # noqa: B018
                certificates.append(certificate)
            except (binascii.Error, ValueError):
                raise _Invalid("CERTIFICATE_MALFORMED", "an X509Certificate cannot be read") from None
    if not certificates:
        raise _Invalid("CERTIFICATE_MISSING", "KeyInfo carries no X509Certificate")
    return _Parsed(
        signature, signed_info, signature_method, signature_hash, digest_method, digest_hash,
        digest_value, signature_value, certificates,
    )


def _signer(parsed: _Parsed, canonical_signed_info: bytes) -> x509.Certificate | None:
    """The KeyInfo certificate whose key made the signature; the others are only chain material."""
    for certificate in parsed.certificates:
        key = certificate.public_key()
        if not isinstance(key, rsa.RSAPublicKey):
            continue
        try:
            key.verify(
                parsed.signature_value,
                canonical_signed_info,
                padding.PKCS1v15(),
                _HASHES[parsed.signature_hash],
            )
        except InvalidSignature:
            continue
        return certificate
    return None


def _string(element: etree._Element | None) -> str:
    """The element's XPath string-value: all of its text, as C14N (which drops comments) signed it.
    ``.text`` stops at the first comment, so ``<MsgId>5f0c<!---->1c2e…</MsgId>`` verifies and would
    be reported as MsgId "5f0c"."""
    if element is None:
        return ""
    return str(element.xpath("string()")).strip()


def _texts(element: etree._Element | None, path: str) -> list[str]:
    if element is None:
        return []
    found = element.xpath(path, namespaces={"mh": MSGHEAD_NS})
    if not isinstance(found, list):
        return []
    return [_string(node) for node in found if isinstance(node, etree._Element)]


def _signed_content(root: etree._Element) -> SignedContent:
    info = root.find(_MH + "MsgInfo")
    if info is None:
        return SignedContent()
    msg_type = info.find(_MH + "Type")
    sender = info.find(_MH + "Sender")
    receiver = info.find(_MH + "Receiver")
    her = ".//mh:Ident[mh:TypeId/@V='HER']/mh:Id"
    enh = ".//mh:Ident[mh:TypeId/@V='ENH']/mh:Id"
    return SignedContent(
        msg_id=_string(info.find(_MH + "MsgId")) or None,
        msg_type=msg_type.get("V") if msg_type is not None else None,
        gen_date=_string(info.find(_MH + "GenDate")) or None,
        sender_her_ids=_texts(sender, her),
        sender_organisation_numbers=_texts(sender, enh),
        sender_practitioner_hprs=_texts(sender, ".//mh:HealthcareProfessional/mh:Ident[mh:TypeId/@V='HPR']/mh:Id"),
        receiver_her_ids=_texts(receiver, her),
        receiver_organisation_numbers=_texts(receiver, enh),
    )


def _sender_issues(root: etree._Element, certificate: x509.Certificate, kind: CertificateKind | None,
                   card_holders: CardHolders | None) -> list[Issue]:
    """The signer against the sender the signed tree names (module docstring)."""
    sender = root.find(f"{_MH}MsgInfo/{_MH}Sender")
    if kind is CertificateKind.ENTERPRISE:
        # The top-level organisation is the sender; a department below it may carry its own numbers.
        numbers = sorted(set(_texts(sender, "mh:Organisation/mh:Ident[mh:TypeId/@V='ENH']/mh:Id")))
        named = {"the message's sender (Sender/Organisation ENH)": ", ".join(numbers) or None}
        issue = organisation_issue(organisation_number(certificate), named)
    elif kind is CertificateKind.PERSONAL and card_holders is not None:
        hprs = _texts(sender, "mh:Organisation/mh:HealthcareProfessional/mh:Ident[mh:TypeId/@V='HPR']/mh:Id")
        issue = holder_issue(card_holders.hpr_of(certificate), personal_serial_number(certificate),
                             {"the message's sender (Sender HealthcareProfessional HPR)": hprs})
    else:
        issue = None
    return [] if issue is None else [issue]


def verify_msghead(
    data: bytes,
    *,
    at: dt.datetime | None = None,
    trust_anchors: Sequence[x509.Certificate],
    card_holders: CardHolders | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> VerificationReport:
    """Verify ``data`` (a signed MsgHead); raise only when it is not readable XML.

    ``at`` is the time the certificate must be valid at; by default the message's own
    ``MsgInfo/GenDate`` (Norwegian local time when it has no offset). ``card_holders`` (the clinic's
    record of whose card is whose) binds a personal signature to the sender's practitioner; without
    it a personal card's holder is not compared, since its certificate names no HPR number. Raises
    :class:`~gateway.primitives.errors.MalformedInput` / :class:`~gateway.primitives.errors.PayloadTooLarge` from
    :func:`~gateway.primitives.xmlsafe.parse_xml` for input that is not safe, well-formed XML.
    """
    root = parse_xml(data, max_bytes=max_bytes)
    report = VerificationReport(valid=False, checked_at=None)
    try:
        parsed = _structure(root)
    except _Invalid as stop:
        report.issues.append(stop.finding)
        return report
    report.signature_method = parsed.signature_method
    report.digest_method = parsed.digest_method

    # SignedInfo is canonicalised while still inside MsgHead: it inherits MsgHead's namespaces.
    canonical_signed_info = canonicalize(parsed.signed_info)
    detach_keeping_tail(parsed.signature)
    digest = hashlib.new(parsed.digest_hash, canonicalize(root.getroottree())).digest()
    if not hmac.compare_digest(digest, parsed.digest_value):
        report.issues.append(Finding("DIGEST_MISMATCH", "the signed content has been changed"))
    certificate = _signer(parsed, canonical_signed_info)
    if certificate is None:
        report.issues.append(
            Finding("SIGNATURE_INVALID", "SignatureValue does not verify with the KeyInfo certificate")
        )
        certificate = parsed.certificates[0]
    report.signed = _signed_content(root)

    when = at
    if when is None:
        try:
            when = parse_time(report.signed.gen_date or "")
        except ValueError:
            report.issues.append(
                Finding("GEN_DATE_INVALID", "MsgInfo/GenDate is missing or not a date-time; give a time")
            )
            when = dt.datetime.now(dt.UTC)
    when = as_aware(when)
    report.checked_at = when.isoformat()

    others = [cert for cert in parsed.certificates if cert is not certificate]
    facts = describe(certificate)
    cert_findings = certificate_issues(
        certificate, at=when, trust_anchors=trust_anchors, intermediates=others
    )
    if facts.kind is None:
        cert_findings.append(
            Issue("CERT_KIND_UNKNOWN", "certificate is neither SEID personal nor enterprise")
        )
    cert_findings.extend(_sender_issues(root, certificate, facts.kind, card_holders))
    report.issues.extend(Finding(issue.code, issue.message) for issue in cert_findings)
    codes = {issue.code for issue in cert_findings}
    report.certificate = CertificateReport(
        kind=facts.kind.value if facts.kind else None,
        subject=facts.subject,
        issuer=facts.issuer,
        serial_number=facts.serial_number,
        sha256_fingerprint=sha256_fingerprint(certificate),
        organisation_number=facts.organisation_number,
        not_before=facts.not_before.isoformat(),
        not_after=facts.not_after.isoformat(),
        valid_at_time=not codes & {"CERT_EXPIRED", "CERT_NOT_YET_VALID"},
        trusted="CERT_UNTRUSTED" not in codes,
        key_usage=list(facts.key_usage),
        signature_hash=facts.signature_hash,
    )
    report.valid = not report.issues
    return report
