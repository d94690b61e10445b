"""The three forms CMS (RFC 5652) travels in, and telling a CMS object from an XML document.

- **DER**: the structure itself, what a transport carries and ``openssl cms -outform DER`` writes;
- **PEM**: base64 between ``-----BEGIN PKCS7-----`` or ``-----BEGIN CMS-----`` lines
  (``-outform PEM``);
- **S/MIME**: MIME headers naming ``application/pkcs7-mime`` and a base64 body (``-outform SMIME``,
  OpenSSL's default).

Shared by the two layers of an incoming AppRec: its decryption (enveloped data,
:mod:`adapters.outbound.encryption`) and its signature (signed data,
:mod:`adapters.outbound.signed_data`).
"""

from __future__ import annotations

import base64
import binascii
import email
import re
from email.parser import BytesHeaderParser
from typing import Final

from asn1crypto import cms as asn1_cms

__all__ = ["content_type_of", "der_of", "looks_like_cms"]

_PEM_LABEL: Final = re.compile(rb"-----BEGIN (PKCS7|CMS)-----(.*?)-----END \1-----", re.DOTALL)
_SMIME_TYPES: Final = ("application/pkcs7-mime", "application/x-pkcs7-mime")
#: MIME headers are short; looking further into a large body would only cost time.
_HEADER_BYTES: Final = 8192


def der_of(data: bytes) -> bytes:
    """DER as it is; the DER inside a PEM block or an S/MIME message. ValueError otherwise."""
    stripped = data.lstrip()
    if stripped[:1] == b"\x30":  # a DER (or BER) SEQUENCE
        return stripped
    if stripped.startswith(b"-----BEGIN"):
        match = _PEM_LABEL.search(stripped)
        if match is None:
            raise ValueError("not a PKCS7 or CMS PEM block")
        try:
            return base64.b64decode(b"".join(match[2].split()), validate=True)
        except binascii.Error:
            raise ValueError("the PEM block is not base64") from None
    message = email.message_from_bytes(data)
    if message.get_content_type() not in _SMIME_TYPES:
        raise ValueError("not an S/MIME message")
    body = message.get_payload(decode=True)
    if not isinstance(body, bytes) or not body:
        raise ValueError("not an S/MIME message")
    return body


def looks_like_cms(data: bytes) -> bool:
    """True when ``data`` is shaped as CMS in one of the three forms, not whether it is sound.

    An XML document starts with ``<`` (after whitespace or a byte-order mark), never with a DER
    SEQUENCE, a PEM line or MIME headers naming PKCS#7, so the two are told apart without parsing
    either."""
    stripped = data.lstrip()
    if stripped[:1] == b"\x30":
        return True
    if stripped[:1] == b"<" or stripped.startswith(b"\xef\xbb\xbf"):
        return False
    if _PEM_LABEL.match(stripped):
        return True
    headers = BytesHeaderParser().parsebytes(stripped[:_HEADER_BYTES])
    return headers.get_content_type() in _SMIME_TYPES


def content_type_of(data: bytes) -> str | None:
    """The CMS content type (``signed_data``, ``enveloped_data``, …, or the dotted OID of one
    asn1crypto does not name), or None when ``data`` is not CMS in any of the three forms."""
    try:
        return str(asn1_cms.ContentInfo.load(der_of(data))["content_type"].native)
    except (ValueError, TypeError, KeyError):
        return None
