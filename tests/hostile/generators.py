"""The corpus cases that are built at test time: too large to commit (oversize, deep nesting) or
signed with the test key (signature-wrapping variants for ``nordgate verify``).

``GENERATED`` maps a manifest ``generate`` name to the body it stands for; ``SIGNED_VARIANTS`` maps a
``nordgate verify`` case to a function of the freshly signed message.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree

from adapters.outbound.signing.xmldsig import C14N_10_WITH_COMMENTS, DSIG_NS
from tests.adapters.outbound.signing.conftest import MSGHEAD_NS, serialize, unsigned_msghead
from tests.gateway.settlement.service.helpers import CERTS, enterprise_signer

__all__ = ["GENERATED", "SIGNED_VARIANTS", "chunks_of", "signed_message"]

REPO = Path(__file__).resolve().parents[2]
DS = f"{{{DSIG_NS}}}"
MH = f"{{{MSGHEAD_NS}}}"
MSG_ID = "5f0c1c2e-7a7e-4a6e-9d8e-2b8f4c1d9a10"
MB = 1024 * 1024


def _oversize_xml() -> bytes:
    return b"<a>" + b"<b>x</b>" * (6 * MB // 8) + b"</a>"


def _deep_in_soap() -> bytes:
    # Envelope and Body are levels 1 and 2: 63 more below them make 65, one over the default 64.
    return (b'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>' + b"<a>" * 63
            + b"</a>" * 63 + b"</s:Body></s:Envelope>")


def _attributes() -> bytes:
    return b"<a " + b" ".join(b'a%d="1"' % index for index in range(100_000)) + b"/>"


def _settlement_70mb() -> bytes:
    batch = json.loads((REPO / "samples" / "settlements" / "kommunalt-fellesoppgjor-fysioterapi.json").read_bytes())
    bill = json.dumps(batch["bills"][0]).encode()
    count = 70 * MB // (len(bill) + 1) + 1
    head = json.dumps({key: value for key, value in batch.items() if key != "bills"}).encode()[:-1]
    return head + b', "bills": [' + b",".join([bill] * count) + b"]}"


GENERATED: dict[str, Callable[[], bytes]] = {
    "oversize-6mb.xml": _oversize_xml,
    "oversize-chunked-6mb.xml": _oversize_xml,
    "deep-100000.xml": lambda: b"<a>" * 100_000 + b"</a>" * 100_000,
    "deep-65-in-soap.xml": _deep_in_soap,
    "attributes-100000.xml": _attributes,
    "json-deep-100000-arrays.json": lambda: b"[" * 100_000 + b"]" * 100_000,
    "json-deep-100000-objects.json": lambda: b'{"event": ' * 100_000 + b"1" + b"}" * 100_000,
    "settlement-70mb.json": _settlement_70mb,
    "settlement-deep-100000.json": lambda: b"[" * 100_000 + b"]" * 100_000,
    # Issue 13: a million empty children was 4.5 s of a blocked event loop (parse and child index).
    "million-empty-children-4mb.xml": lambda: b'<MakeBooking xmlns="urn:riv:crm:scheduling:MakeBookingResponder:1">'
    + b"<x/>" * 1_000_000 + b"</MakeBooking>",
}
#: Generated cases sent without Content-Length, as a stream of chunks.
STREAMED = frozenset({"oversize-chunked-6mb.xml"})


def chunks_of(data: bytes, size: int = 64 * 1024) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start:start + size]


# --- signature-wrapping variants ---------------------------------------------------------------------


def signed_message() -> bytes:
    """The test MsgHead signed with the committed enterprise-a test certificate."""
    return serialize(enterprise_signer().sign(unsigned_msghead()))


def _tree(data: bytes) -> etree._Element:
    return etree.fromstring(data)


def _find(root: etree._Element, path: str) -> etree._Element:
    found = root.find(path)
    assert found is not None, path
    return found


def _replace_once(data: bytes, old: bytes, new: bytes) -> bytes:
    assert old in data, old
    return data.replace(old, new, 1)


def _reference_to_id(data: bytes) -> bytes:
    root = _tree(data)
    root.set("Id", "msg")
    _find(root, f"{DS}Signature/{DS}SignedInfo/{DS}Reference").set("URI", "#msg")
    return serialize(root)


def _transforms(root: etree._Element) -> etree._Element:
    return _find(root, f"{DS}Signature/{DS}SignedInfo/{DS}Reference/{DS}Transforms")


def _xpath_transform(data: bytes) -> bytes:
    root = _tree(data)
    transform = etree.SubElement(_transforms(root), DS + "Transform",
                                 Algorithm="http://www.w3.org/TR/1999/REC-xpath-19991116")
    etree.SubElement(transform, DS + "XPath").text = "not(ancestor-or-self::*[local-name()='MsgInfo'])"
    return serialize(root)


def _xpath_filter2(data: bytes) -> bytes:
    root = _tree(data)
    _transforms(root)[-1].set("Algorithm", "http://www.w3.org/2002/06/xmldsig-filter2")
    return serialize(root)


def _nested_msghead(msg_id: str) -> etree._Element:
    nested = etree.Element(MH + "MsgHead", nsmap={None: MSGHEAD_NS})  # type: ignore[dict-item]
    info = etree.SubElement(nested, MH + "MsgInfo")
    etree.SubElement(info, MH + "MsgId").text = msg_id
    return nested


def _content(root: etree._Element) -> etree._Element:
    return _find(root, f"{MH}Document/{MH}RefDoc/{MH}Content")


def _second_msghead_after_signing(data: bytes) -> bytes:
    root = _tree(data)
    _content(root).insert(0, _nested_msghead("forged"))
    return serialize(root)


def _second_msghead_signed(_: bytes) -> bytes:
    unsigned = unsigned_msghead()
    _content(unsigned).insert(0, _nested_msghead("forged"))
    return serialize(enterprise_signer().sign(unsigned))


def _other_certificate_der() -> str:
    pem = x509.load_pem_x509_certificate((CERTS / "enterprise-b.pem").read_bytes())
    return base64.b64encode(pem.public_bytes(Encoding.DER)).decode()


def _keyinfo_other(data: bytes) -> bytes:
    root = _tree(data)
    _find(root, f"{DS}Signature/{DS}KeyInfo/{DS}X509Data/{DS}X509Certificate").text = _other_certificate_der()
    return serialize(root)


def _keyinfo_extra_first(data: bytes) -> bytes:
    root = _tree(data)
    x509_data = _find(root, f"{DS}Signature/{DS}KeyInfo/{DS}X509Data")
    extra = etree.Element(DS + "X509Certificate")
    extra.text = _other_certificate_der()
    x509_data.insert(0, extra)
    return serialize(root)


def _two_references(data: bytes, *, uri: str | None) -> bytes:
    root = _tree(data)
    signed_info = _find(root, f"{DS}Signature/{DS}SignedInfo")
    copy = etree.fromstring(etree.tostring(_find(signed_info, DS + "Reference")))
    if uri is not None:
        copy.set("URI", uri)
    signed_info.append(copy)
    return serialize(root)


def _c14n_with_comments(data: bytes) -> bytes:
    root = _tree(data)
    _find(root, f"{DS}Signature/{DS}SignedInfo/{DS}CanonicalizationMethod").set("Algorithm", C14N_10_WITH_COMMENTS)
    return serialize(root)


def _signature_in_content(data: bytes) -> bytes:
    root = _tree(data)
    _content(root).append(etree.fromstring(etree.tostring(_find(root, DS + "Signature"))))
    return serialize(root)


def _signature_with_object(data: bytes) -> bytes:
    root = _tree(data)
    etree.SubElement(_find(root, DS + "Signature"), DS + "Object").text = "extra"
    return serialize(root)


def _wrapped_in_soap(data: bytes) -> bytes:
    body = data.split(b"?>", 1)[1]
    return (b'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>' + body
            + b"</s:Body></s:Envelope>")


def _with_dtd(data: bytes) -> bytes:
    head, body = data.split(b"?>", 1)
    return head + b'?><!DOCTYPE MsgHead [<!ENTITY e "e">]>' + body


SIGNED_VARIANTS: dict[str, Callable[[bytes], bytes]] = {
    "signed.xml": lambda data: data,
    "reference-to-id-attribute.xml": _reference_to_id,
    "xpath-transform.xml": _xpath_transform,
    "xpath-filter2-transform.xml": _xpath_filter2,
    "second-msghead-in-content.xml": _second_msghead_after_signing,
    "second-msghead-signed-in-content.xml": _second_msghead_signed,
    "comment-in-msg-id.xml": lambda data: _replace_once(data, b"<MsgId>5f0c", b"<MsgId>5f0c<!-- -->"),
    "comment-in-her-id.xml": lambda data: _replace_once(data, b"<Id>876", b"<Id>876<!--x-->"),
    "comment-in-gen-date.xml": lambda data: _replace_once(data, b"<GenDate>2025-03-04", b"<GenDate>2025-03-04<!--T-->"),
    "whitespace-in-msg-id.xml": lambda data: _replace_once(data, b"<MsgId>5f0c", b"<MsgId>5f0c "),
    "pi-in-msg-id.xml": lambda data: _replace_once(data, b"<MsgId>5f0c", b"<MsgId>5f0c<?x y?>"),
    "keyinfo-other-certificate.xml": _keyinfo_other,
    "keyinfo-extra-certificate-first.xml": _keyinfo_extra_first,
    "two-references.xml": lambda data: _two_references(data, uri="#x"),
    "two-references-same.xml": lambda data: _two_references(data, uri=None),
    "c14n-with-comments.xml": _c14n_with_comments,
    "signature-in-content.xml": _signature_in_content,
    "signature-wrong-namespace.xml": lambda data: data.replace(DSIG_NS.encode(), b"urn:not-xmldsig"),
    "signature-with-object.xml": _signature_with_object,
    "wrapped-in-soap.xml": _wrapped_in_soap,
    "signed-with-dtd.xml": _with_dtd,
    "signed-declared-utf16.xml": lambda data: re.sub(rb'encoding=["\']UTF-8["\']', b"encoding='UTF-16'", data, count=1),
}
