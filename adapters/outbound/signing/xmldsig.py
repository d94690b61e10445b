"""Enveloped XML-DSig over a whole MsgHead, built by hand on lxml's C14N.

The shape is fixed by the HELFO/KITH profile and nothing else is produced: one ``Reference URI=""``
with the enveloped-signature and C14N 1.0 transforms, C14N 1.0 for SignedInfo, rsa-sha256 over a
SHA-256 digest, and the signer's certificate in ``KeyInfo/X509Data``. The ``ds:Signature`` goes last
in MsgHead.

Why by hand rather than through signxml: the document is canonicalised exactly once (lxml's C14N
in C, hashed by hashlib), which keeps a 10,000-bill message close to ``xmlsec1 --sign``; and the RSA
operation is a plain callback over the canonical SignedInfo, so a PKCS#11 token whose key never
leaves it signs the same way as a key read from a file.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Sequence
from typing import Final

from lxml import etree

from gateway.primitives.errors import SigningRefused

__all__ = [
    "C14N_10",
    "C14N_10_WITH_COMMENTS",
    "DIGEST_ALGORITHMS",
    "DSIG_NS",
    "ENVELOPED_SIGNATURE",
    "RSA_SHA256",
    "SHA256",
    "SIGNATURE_ALGORITHMS",
    "WEAK_ALGORITHMS",
    "RawSigner",
    "canonicalize",
    "detach_keeping_tail",
    "document_digest",
    "sign_enveloped",
]

DSIG_NS: Final = "http://www.w3.org/2000/09/xmldsig#"
C14N_10: Final = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
C14N_10_WITH_COMMENTS: Final = C14N_10 + "#WithComments"
ENVELOPED_SIGNATURE: Final = DSIG_NS + "enveloped-signature"
RSA_SHA256: Final = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
SHA256: Final = "http://www.w3.org/2001/04/xmlenc#sha256"

# Algorithm URI -> hashlib name; the verifier accepts the SHA-2 family and nothing weaker.
DIGEST_ALGORITHMS: Final[dict[str, str]] = {
    SHA256: "sha256",
    "http://www.w3.org/2001/04/xmldsig-more#sha384": "sha384",
    "http://www.w3.org/2001/04/xmlenc#sha512": "sha512",
}
SIGNATURE_ALGORITHMS: Final[dict[str, str]] = {
    RSA_SHA256: "sha256",
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384": "sha384",
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512": "sha512",
}
WEAK_ALGORITHMS: Final = frozenset(
    {
        DSIG_NS + "sha1",
        DSIG_NS + "rsa-sha1",
        DSIG_NS + "dsa-sha1",
        DSIG_NS + "hmac-sha1",
        "http://www.w3.org/2001/04/xmldsig-more#md5",
        "http://www.w3.org/2001/04/xmldsig-more#rsa-md5",
    }
)

RawSigner = Callable[[bytes], bytes]
"""Signs canonical SignedInfo bytes with RSASSA-PKCS1-v1_5 over SHA-256; returns the raw signature."""

_DS = f"{{{DSIG_NS}}}"


def canonicalize(node: etree._Element | etree._ElementTree) -> bytes:
    """Inclusive C14N 1.0 without comments: what ``URI=""`` and SignedInfo both call for.

    An element is canonicalised in its context, so namespaces declared on its ancestors (MsgHead's
    default namespace, ``xsi``) appear on it as the standard requires.
    """
    return etree.tostring(node, method="c14n", exclusive=False, with_comments=False)


def detach_keeping_tail(element: etree._Element) -> None:
    """Remove ``element`` as the enveloped-signature transform does: the text after it stays.

    lxml keeps an element's tail with the element; the transform removes only the element node, so
    the tail is handed to the previous sibling (or the parent's text) first.
    """
    parent = element.getparent()
    if parent is None:
        raise ValueError("cannot detach the document element")
    tail = element.tail
    if tail:
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(element)


def document_digest(root: etree._Element, hash_name: str = "sha256") -> bytes:
    """Digest of the whole document ``root`` belongs to, canonicalised once."""
    return hashlib.new(hash_name, canonicalize(root.getroottree())).digest()


def _sub(parent: etree._Element, local: str, **attributes: str) -> etree._Element:
    return etree.SubElement(parent, _DS + local, attrib=attributes)


def sign_enveloped(
    root: etree._Element,
    *,
    certificate_der: bytes,
    raw_sign: RawSigner,
    chain_der: Sequence[bytes] = (),
) -> etree._Element:
    """Append an enveloped ds:Signature as the last child of ``root`` and return ``root``.

    ``root`` must be its document's root element (``URI=""`` means the whole document) and carry no
    signature yet. ``chain_der`` adds intermediate certificates after the signer's own.
    """
    if root.getparent() is not None:
        raise SigningRefused("SIGN_NOT_DOCUMENT_ROOT", "only a document's root element can be signed")
    if root.find(".//" + _DS + "Signature") is not None:
        raise SigningRefused("SIGN_ALREADY_SIGNED", "the message already carries a ds:Signature")

    # The digest is taken before the Signature exists: that is exactly the enveloped transform's
    # output, so the document is canonicalised once and never copied.
    digest = document_digest(root)

    signature = etree.SubElement(root, _DS + "Signature", nsmap={"ds": DSIG_NS})
    signed_info = _sub(signature, "SignedInfo")
    _sub(signed_info, "CanonicalizationMethod", Algorithm=C14N_10)
    _sub(signed_info, "SignatureMethod", Algorithm=RSA_SHA256)
    reference = _sub(signed_info, "Reference", URI="")
    transforms = _sub(reference, "Transforms")
    _sub(transforms, "Transform", Algorithm=ENVELOPED_SIGNATURE)
    _sub(transforms, "Transform", Algorithm=C14N_10)
    _sub(reference, "DigestMethod", Algorithm=SHA256)
    _sub(reference, "DigestValue").text = base64.b64encode(digest).decode("ascii")
    signature_value = _sub(signature, "SignatureValue")
    x509_data = _sub(_sub(signature, "KeyInfo"), "X509Data")
    for der in (certificate_der, *chain_der):
        _sub(x509_data, "X509Certificate").text = base64.b64encode(der).decode("ascii")

    try:
        value = raw_sign(canonicalize(signed_info))
    except BaseException:
        # A failed signer must not leave a half-built signature in the caller's message.
        root.remove(signature)
        raise
    signature_value.text = base64.b64encode(value).decode("ascii")
    return root
