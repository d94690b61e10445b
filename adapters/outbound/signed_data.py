"""Opening CMS signed data (RFC 5652 §5): the signature checked, the content and its signer out.

On NHN's message exchange a receipt travels sign-then-encrypt, as NHN's messaging library
(Helsenorge.Messaging, ``SignThenEncryptMessageProtection``) writes it: the AppRec XML is the
attached content of CMS SignedData (content type ``id-data``, signed with the sender's enterprise
certificate), and that SignedData is the content of enveloped data for the receiver. The KITH
AppRec schema has no ``ds:Signature`` of its own: this layer is the only proof of who sent it.

:func:`open_signed_data` takes DER, PEM or S/MIME (:mod:`adapters.outbound.cms`) with the content
attached, and accepts exactly one signer, named by issuer and serial number or by subject key
identifier, whose certificate travels in the SignedData:

- digest SHA-256, SHA-384 or SHA-512; SHA-1 and MD5 are refused as weak;
- signature RSA PKCS#1 v1.5 (``rsaEncryption`` or ``sha*WithRSAEncryption`` of the same hash) or
  RSASSA-PSS (MGF1 and the message hash both the digest algorithm);
- with signed attributes (what OpenSSL and most signers write) the ``message-digest`` attribute
  must equal the digest of the content, the ``content-type`` attribute must be ``id-data``, each
  present once with one value, and the signature is checked over the DER ``SET OF`` the
  attributes as received (§5.4); without them (allowed for ``id-data``) the signature is over the
  content itself;
- the signer certificate is then held to :func:`~adapters.outbound.signing.certificates.certificate_issues`
  at the moment of reception, with the other certificates of the SignedData as possible
  intermediates: the same rules as for our own signatures and for ``nordgate verify``.

Whose certificate it may be is for the caller (the AppRec intake binds it to the sender's
organisation in the address register).

Refusals, each with a stable code: 400 ``SIGNED_MESSAGE_UNREADABLE`` (not CMS signed data in any of
the three forms, damaged, or the content not attached); 422 ``SIGNATURE_MALFORMED`` (not exactly
one signer, or a signed attribute missing or repeated), ``ALGORITHM_WEAK``, ``ALGORITHM_UNSUPPORTED``,
``CERTIFICATE_MISSING`` (the signer's certificate is not in the SignedData), ``SIGNATURE_INVALID``
(the content differs from what was signed, or the signature does not verify), and the certificate
codes (``CERT_UNTRUSTED`` first when the chain leads to no trust anchor, else ``CERT_EXPIRED``,
``CERT_KEY_USAGE``, …; every finding in ``issues``).

Why by hand. ``cryptography`` reads PKCS#7 certificates and signs, but verifies no CMS signature.
The Python libraries that do verify one come as parts of larger toolkits: pyHanko (PDF signing;
its generic CMS validation), endesive (PDF and S/MIME signing), M2Crypto (a SWIG binding of
OpenSSL). Each would be a large dependency for one function and brings its own certificate path
validation, a second answer to "is this a good certificate" beside
:mod:`~adapters.outbound.signing.certificates`, the one our signers and verifier share. What is
written here is only the RFC 5652 §5.4 message computation over a structure asn1crypto parses
(asn1crypto is already a dependency); RSA, the digests and the chain go through ``cryptography``.
Tests hold it to signatures OpenSSL makes (``openssl cms -sign``) and to ``openssl cms -verify``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from asn1crypto import cms as asn1_cms
from asn1crypto import core as asn1_core
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from adapters.outbound.cms import der_of
from adapters.outbound.signing.certificates import certificate_issues
from gateway.primitives.errors import MalformedInput, Unprocessable

__all__ = ["SignedMessage", "open_signed_data"]

_DIGESTS: Final[dict[str, hashes.HashAlgorithm]] = {
    "2.16.840.1.101.3.4.2.1": hashes.SHA256(),
    "2.16.840.1.101.3.4.2.2": hashes.SHA384(),
    "2.16.840.1.101.3.4.2.3": hashes.SHA512(),
}
_WEAK_DIGESTS: Final = {"1.3.14.3.2.26": "SHA-1", "1.2.840.113549.2.5": "MD5"}
_RSA_ENCRYPTION: Final = "1.2.840.113549.1.1.1"
_RSA_PSS: Final = "1.2.840.113549.1.1.10"
#: sha*WithRSAEncryption → the digest it names.
_RSA_WITH: Final = {
    "1.2.840.113549.1.1.11": "2.16.840.1.101.3.4.2.1",
    "1.2.840.113549.1.1.12": "2.16.840.1.101.3.4.2.2",
    "1.2.840.113549.1.1.13": "2.16.840.1.101.3.4.2.3",
}
_WEAK_SIGNATURES: Final = {
    "1.2.840.113549.1.1.5": "sha1WithRSAEncryption",
    "1.2.840.113549.1.1.4": "md5WithRSAEncryption",
}
_MGF1: Final = "1.2.840.113549.1.1.8"
_ID_DATA: Final = "1.2.840.113549.1.7.1"
_CONTENT_TYPE_ATTR: Final = "1.2.840.113549.1.9.3"
_MESSAGE_DIGEST_ATTR: Final = "1.2.840.113549.1.9.4"
_SIGNING_TIME_ATTR: Final = "1.2.840.113549.1.9.5"
_SET_OF: Final = b"\x31"


@dataclass(frozen=True, slots=True)
class SignedMessage:
    """What a verified SignedData holds: the content exactly as signed and who signed it."""

    content: bytes
    signer: x509.Certificate
    digest_algorithm: str  # "sha256", "sha384", "sha512"
    signature_scheme: str  # "pkcs1v15" or "pss"
    signing_time: dt.datetime | None  # the signer's own claim (signed attribute), when given


def _unreadable(why: str) -> MalformedInput:
    return MalformedInput("SIGNED_MESSAGE_UNREADABLE", f"the body is not CMS signed data (DER, PEM or S/MIME) with "
                          f"attached content: {why}")


def _malformed(why: str) -> Unprocessable:
    return Unprocessable("SIGNATURE_MALFORMED", why)


def _digest_of(signer_info: asn1_cms.SignerInfo) -> hashes.HashAlgorithm:
    oid = signer_info["digest_algorithm"]["algorithm"].dotted
    if oid in _WEAK_DIGESTS:
        raise Unprocessable("ALGORITHM_WEAK", f"the signature's digest algorithm {_WEAK_DIGESTS[oid]} is refused "
                            "as weak; sign with SHA-256, SHA-384 or SHA-512")
    if oid not in _DIGESTS:
        raise Unprocessable("ALGORITHM_UNSUPPORTED", f"digest algorithm {oid} is not supported (SHA-256/384/512 are)")
    return _DIGESTS[oid]


def _padding_of(signer_info: asn1_cms.SignerInfo, digest: hashes.HashAlgorithm) -> padding.AsymmetricPadding:
    """The RSA padding the signature algorithm names, which must use the same hash as the digest."""
    algorithm = signer_info["signature_algorithm"]
    oid = algorithm["algorithm"].dotted
    digest_oid = signer_info["digest_algorithm"]["algorithm"].dotted
    if oid in _WEAK_SIGNATURES:
        raise Unprocessable("ALGORITHM_WEAK", f"signature algorithm {_WEAK_SIGNATURES[oid]} is refused as weak")
    if oid == _RSA_ENCRYPTION or _RSA_WITH.get(oid) == digest_oid:
        return padding.PKCS1v15()
    if oid != _RSA_PSS:
        raise Unprocessable("ALGORITHM_UNSUPPORTED", f"signature algorithm {oid} is not supported (RSA PKCS#1 v1.5 "
                            "or RSASSA-PSS with the digest's hash are)")
    params = algorithm["parameters"]
    if isinstance(params, asn1_core.Void):
        raise Unprocessable("ALGORITHM_WEAK", "RSASSA-PSS without parameters means SHA-1, refused as weak")
    hash_oid = params["hash_algorithm"]["algorithm"].dotted
    mgf = params["mask_gen_algorithm"]
    mgf_hash_oid = mgf["parameters"]["algorithm"].dotted if mgf["algorithm"].dotted == _MGF1 else None
    if hash_oid in _WEAK_DIGESTS or mgf_hash_oid in _WEAK_DIGESTS:
        raise Unprocessable("ALGORITHM_WEAK", "RSASSA-PSS with SHA-1 (the parameters' default) is refused as weak")
    if hash_oid != digest_oid or mgf_hash_oid != digest_oid or params["trailer_field"].native != "trailer_field_bc":
        raise Unprocessable("ALGORITHM_UNSUPPORTED", "RSASSA-PSS is supported with MGF1 and the message hash both "
                            "the digest algorithm, trailer field 1")
    return padding.PSS(mgf=padding.MGF1(digest), salt_length=int(params["salt_length"].native))


def _only_value(attributes: asn1_cms.CMSAttributes, oid: str, name: str) -> asn1_core.Asn1Value:
    found = [attribute for attribute in attributes if attribute["type"].dotted == oid]
    if len(found) != 1 or len(found[0]["values"]) != 1:
        raise _malformed(f"the signed attributes must hold {name} exactly once with one value")
    value: asn1_core.Asn1Value = found[0]["values"][0]
    return value


def _signing_time(attributes: asn1_cms.CMSAttributes) -> dt.datetime | None:
    for attribute in attributes:
        if attribute["type"].dotted == _SIGNING_TIME_ATTR and len(attribute["values"]) == 1:
            moment = attribute["values"][0].native
            return moment if isinstance(moment, dt.datetime) else None
    return None


def _signed_bytes(signer_info: asn1_cms.SignerInfo, content: bytes,
                  digest: hashes.HashAlgorithm) -> tuple[bytes, dt.datetime | None]:
    """What the signature is over (RFC 5652 §5.4), after checking the attributes against the content."""
    attributes = signer_info["signed_attrs"]
    if isinstance(attributes, asn1_core.Void):
        return content, None  # allowed for id-data content, the only kind read here
    named_type = _only_value(attributes, _CONTENT_TYPE_ATTR, "content-type")
    signed_digest = _only_value(attributes, _MESSAGE_DIGEST_ATTR, "message-digest").native
    if getattr(named_type, "dotted", None) != _ID_DATA:
        raise Unprocessable("SIGNATURE_INVALID", "the signed content-type attribute does not name the content's "
                            "type (id-data)")
    actual = hashlib.new(digest.name, content).digest()
    if not isinstance(signed_digest, bytes) or not hmac.compare_digest(actual, signed_digest):
        raise Unprocessable("SIGNATURE_INVALID", "the content is not what was signed (its digest differs from the "
                            "signed message-digest): changed after signing")
    # The signature covers the attributes as a DER SET OF, not as the [0] IMPLICIT field they travel in.
    return _SET_OF + attributes.dump()[1:], _signing_time(attributes)


def _certificates(signed_data: asn1_cms.SignedData) -> list[asn1_x509.Certificate]:
    found = signed_data["certificates"]
    if isinstance(found, asn1_core.Void):
        return []
    return [choice.chosen for choice in found if choice.name == "certificate"]


def _signer_certificate(signer_info: asn1_cms.SignerInfo,
                        certificates: Sequence[asn1_x509.Certificate]) -> asn1_x509.Certificate:
    sid = signer_info["sid"]
    for certificate in certificates:
        if sid.name == "issuer_and_serial_number":
            named = sid.chosen
            if certificate.serial_number == named["serial_number"].native and certificate.issuer == named["issuer"]:
                return certificate
        elif sid.name == "subject_key_identifier" and certificate.key_identifier == sid.chosen.native:
            return certificate
    raise Unprocessable("CERTIFICATE_MISSING", "the SignedData does not carry the signer's certificate")


def _parse(der: bytes) -> tuple[asn1_cms.SignedData, bytes, asn1_cms.SignerInfo]:
    try:
        info = asn1_cms.ContentInfo.load(der)
        kind = info["content_type"].native
        if kind != "signed_data":
            raise _unreadable(f"its content type is {kind}")
        signed_data = info["content"]
        encapsulated = signed_data["encap_content_info"]
        content_type = encapsulated["content_type"].dotted
        content = encapsulated["content"].native
        signer_infos = list(signed_data["signer_infos"])
    except (ValueError, TypeError, KeyError) as exc:
        raise _unreadable(f"damaged ({type(exc).__name__})") from None
    if content_type != _ID_DATA:
        raise _unreadable(f"its encapsulated content type is {content_type}, not id-data")
    if not isinstance(content, bytes):
        raise _unreadable("the content is not attached (a detached signature)")
    if len(signer_infos) != 1:
        raise _malformed(f"exactly one signer is expected, the SignedData has {len(signer_infos)}")
    return signed_data, content, signer_infos[0]


def open_signed_data(data: bytes, *, trust_anchors: Sequence[x509.Certificate], at: dt.datetime) -> SignedMessage:
    """The content of ``data`` and its signer's certificate, once the signature verifies and the
    certificate may sign at ``at`` (module docstring); raises with the codes listed there."""
    try:
        der = der_of(data)
    except ValueError as exc:
        raise _unreadable(str(exc)) from None
    signed_data, content, signer_info = _parse(der)
    try:
        digest = _digest_of(signer_info)
        scheme = _padding_of(signer_info, digest)
        certificates = _certificates(signed_data)
        signer = _signer_certificate(signer_info, certificates)
        message, signing_time = _signed_bytes(signer_info, content, digest)
        signature = signer_info["signature"].native
        certificate = x509.load_der_x509_certificate(signer.dump())
        others = [x509.load_der_x509_certificate(other.dump()) for other in certificates if other is not signer]
    except (ValueError, TypeError, KeyError) as exc:
        raise _unreadable(f"damaged ({type(exc).__name__})") from None
    key = certificate.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise Unprocessable("ALGORITHM_UNSUPPORTED", "the signer's certificate holds no RSA key (RSA signatures are "
                            "supported)")
    try:
        key.verify(signature, message, scheme, digest)
    except InvalidSignature:
        raise Unprocessable("SIGNATURE_INVALID", "the signature does not verify with the signer's "
                            "certificate") from None
    issues = certificate_issues(certificate, at=at, trust_anchors=trust_anchors, intermediates=others)
    if issues:
        first = next((issue for issue in issues if issue.code == "CERT_UNTRUSTED"), issues[0])
        raise Unprocessable(first.code, f"the signer's certificate: {first.message}", issues=issues)
    return SignedMessage(content=content, signer=certificate, digest_algorithm=digest.name,
                         signature_scheme="pss" if isinstance(scheme, padding.PSS) else "pkcs1v15",
                         signing_time=signing_time)
