"""verify_msghead against the real NAV/Buypass sample, against signature-wrapping variants, and against
signatures by a trusted certificate that is not the sender's."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography import x509
from lxml import etree

from adapters.outbound.signing.base import CertificateSigner
from adapters.outbound.signing.enterprise import EnterpriseCertificateSigner
from adapters.outbound.signing.example_certs import ORGNR_A, ORGNR_B, ExampleCertificates
from adapters.outbound.signing.verify import parse_time, verify_msghead
from adapters.outbound.signing.xmldsig import DSIG_NS, detach_keeping_tail
from gateway.primitives.errors import MalformedInput

from .conftest import MSGHEAD_NS, certificate_of, serialize, unsigned_msghead, xmlsec_verifies

DS = f"{{{DSIG_NS}}}"
MH = f"{{{MSGHEAD_NS}}}"


# --- the real sample ---------------------------------------------------------------------------


def test_real_sample_is_valid_at_its_gen_date(nav_sample: bytes) -> None:
    report = verify_msghead(nav_sample, trust_anchors=[certificate_of(nav_sample)])
    assert report.valid, report.to_json()
    assert report.checked_at == "2023-08-29T10:56:50+02:00"
    assert report.certificate is not None and report.signed is not None
    assert report.certificate.kind == "enterprise"
    assert report.certificate.organisation_number == "993954896"
    assert report.certificate.trusted and report.certificate.valid_at_time
    assert report.certificate.key_usage == ["nonRepudiation"]
    assert report.signed.msg_id == "e10c4758-c559-4b54-8427-fb97e89c99bb"
    assert report.signed.gen_date == "2023-08-29T10:56:50"
    assert report.signed.sender_her_ids == ["8141253"]
    assert report.signed.sender_organisation_numbers == ["993954896"]
    assert report.signed.receiver_her_ids == ["79768"]
    assert report.signed.receiver_organisation_numbers == ["889640782"]
    data = json.loads(report.to_json())
    assert data["valid"] is True and data["issues"] == []


def test_real_sample_expired_in_2026(nav_sample: bytes) -> None:
    report = verify_msghead(nav_sample, at=parse_time("2026-01-01"), trust_anchors=[certificate_of(nav_sample)])
    assert not report.valid
    assert report.codes == ["CERT_EXPIRED"]


def test_real_sample_without_anchors_is_untrusted(nav_sample: bytes) -> None:
    report = verify_msghead(nav_sample, trust_anchors=[])
    assert not report.valid
    assert report.codes == ["CERT_UNTRUSTED"]


def test_real_sample_with_another_anchor_is_untrusted(nav_sample: bytes, ca: x509.Certificate) -> None:
    assert verify_msghead(nav_sample, trust_anchors=[ca]).codes == ["CERT_UNTRUSTED"]


def _root(data: bytes) -> etree._Element:
    return etree.fromstring(data)


def _bytes(root: etree._Element) -> bytes:
    return serialize(root)


def _move_signature_into_document(data: bytes) -> bytes:
    root = _root(data)
    signature = root.find(DS + "Signature")
    assert signature is not None
    document = root.find(MH + "Document")
    assert document is not None
    document.append(signature)
    return _bytes(root)


def _wrap_in_new_root(data: bytes) -> bytes:
    original = _root(data)
    wrapper = etree.Element(MH + "MsgHead", nsmap={None: MSGHEAD_NS})  # type: ignore[dict-item]
    forged = etree.SubElement(wrapper, MH + "MsgInfo")
    etree.SubElement(forged, MH + "MsgId").text = "forged"
    signature = original.find(DS + "Signature")
    assert signature is not None
    original.remove(signature)
    etree.SubElement(wrapper, MH + "Wrapped").append(original)
    wrapper.append(signature)
    return _bytes(wrapper)


def _wrap_original_below_new_root(data: bytes) -> bytes:
    wrapper = etree.Element("Envelope")
    wrapper.append(_root(data))
    return _bytes(wrapper)


def _duplicate_signature(data: bytes) -> bytes:
    root = _root(data)
    signature = root.find(DS + "Signature")
    assert signature is not None
    root.append(etree.fromstring(etree.tostring(signature)))
    return _bytes(root)


def _reference_uri_x(data: bytes) -> bytes:
    root = _root(data)
    reference = root.find(f"{DS}Signature/{DS}SignedInfo/{DS}Reference")
    assert reference is not None
    reference.set("URI", "#x")
    root.find(MH + "MsgInfo").set("Id", "x")  # type: ignore[union-attr]
    return _bytes(root)


def _extra_reference(data: bytes) -> bytes:
    root = _root(data)
    signed_info = root.find(f"{DS}Signature/{DS}SignedInfo")
    assert signed_info is not None
    reference = signed_info.find(DS + "Reference")
    signed_info.append(etree.fromstring(etree.tostring(reference)))  # type: ignore[arg-type]
    return _bytes(root)


def _alter_takst(data: bytes) -> bytes:
    match = re.search(rb"(<Verdi[^>]*V=\"\d)(\d)", data)
    if match is None:
        match = re.search(rb"(<Takst>.*?\d)(\d)", data, re.S)
    assert match is not None
    digit = match.group(2)
    other = b"1" if digit != b"1" else b"2"
    start = match.start(2)
    return data[:start] + other + data[start + 1 :]


def _sha1_signature_method(data: bytes) -> bytes:
    return data.replace(
        b"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256", b"http://www.w3.org/2000/09/xmldsig#rsa-sha1", 1
    )


def _no_enveloped_transform(data: bytes) -> bytes:
    root = _root(data)
    transforms = root.find(f"{DS}Signature/{DS}SignedInfo/{DS}Reference/{DS}Transforms")
    assert transforms is not None
    transforms.remove(transforms[0])
    return _bytes(root)


def _remove_signature(data: bytes) -> bytes:
    root = _root(data)
    root.remove(root.find(DS + "Signature"))  # type: ignore[arg-type]
    return _bytes(root)


def _element_after_signature(data: bytes) -> bytes:
    root = _root(data)
    etree.SubElement(root, MH + "Extra").text = "unsigned"
    return _bytes(root)


ATTACKS = {
    "signature moved inside Document": (_move_signature_into_document, {"SIGNATURE_MISPLACED"}),
    "original wrapped in a forged MsgHead": (_wrap_in_new_root, {"SIGNATURE_MISPLACED", "DIGEST_MISMATCH"}),
    "original below a new root": (_wrap_original_below_new_root, {"ROOT_NOT_MSGHEAD"}),
    "duplicate Signature": (_duplicate_signature, {"SIGNATURE_DUPLICATE"}),
    "Reference URI=#x": (_reference_uri_x, {"REFERENCE_NOT_WHOLE_DOCUMENT"}),
    "extra Reference": (_extra_reference, {"REFERENCE_COUNT"}),
    "one Takst digit altered": (_alter_takst, {"DIGEST_MISMATCH"}),
    "rsa-sha1": (_sha1_signature_method, {"ALGORITHM_WEAK"}),
    "no enveloped transform": (_no_enveloped_transform, {"TRANSFORM_UNSUPPORTED"}),
    "no signature": (_remove_signature, {"SIGNATURE_MISSING"}),
    "element after the signature": (_element_after_signature, {"SIGNATURE_MISPLACED"}),
}


@pytest.mark.parametrize("name", list(ATTACKS))
def test_real_sample_variants_are_invalid(name: str, nav_sample: bytes) -> None:
    attack, codes = ATTACKS[name]
    report = verify_msghead(attack(nav_sample), trust_anchors=[certificate_of(nav_sample)])
    assert not report.valid
    assert set(report.codes) & codes, report.codes


@pytest.mark.parametrize("name", list(ATTACKS))
def test_own_signature_variants_are_invalid(
    name: str, enterprise_signer: CertificateSigner, ca: x509.Certificate
) -> None:
    signed = serialize(enterprise_signer.sign(unsigned_msghead()))
    assert verify_msghead(signed, trust_anchors=[ca]).valid
    attack, codes = ATTACKS[name]
    report = verify_msghead(attack(signed), trust_anchors=[ca])
    assert not report.valid
    assert set(report.codes) & codes, report.codes


def test_signature_value_of_another_message_is_invalid(
    enterprise_signer: CertificateSigner, ca: x509.Certificate
) -> None:
    first = enterprise_signer.sign(unsigned_msghead())
    second = enterprise_signer.sign(unsigned_msghead("964000018"))
    value_first = first.find(f"{DS}Signature/{DS}SignatureValue")
    value_second = second.find(f"{DS}Signature/{DS}SignatureValue")
    assert value_first is not None and value_second is not None
    value_first.text = value_second.text
    assert "SIGNATURE_INVALID" in verify_msghead(serialize(first), trust_anchors=[ca]).codes


def test_certificate_swapped_in_key_info_is_invalid(
    enterprise_signer: CertificateSigner, ca: x509.Certificate, nav_sample: bytes
) -> None:
    root = enterprise_signer.sign(unsigned_msghead())
    element = root.find(f"{DS}Signature/{DS}KeyInfo/{DS}X509Data/{DS}X509Certificate")
    assert element is not None
    element.text = re.search(  # type: ignore[union-attr]
        r"<ds:X509Certificate>(.*?)</ds:X509Certificate>", nav_sample.decode("utf-8"), re.S
    ).group(1)
    assert "SIGNATURE_INVALID" in verify_msghead(serialize(root), trust_anchors=[ca]).codes


def test_hostile_xml_raises(ca: x509.Certificate) -> None:
    bomb = b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>'
    with pytest.raises(MalformedInput):
        verify_msghead(bomb, trust_anchors=[ca])
    with pytest.raises(MalformedInput):
        verify_msghead(b"not xml", trust_anchors=[ca])


def test_explicit_time_overrides_gen_date(enterprise_signer: CertificateSigner, ca: x509.Certificate) -> None:
    signed = serialize(enterprise_signer.sign(unsigned_msghead()))
    report = verify_msghead(signed, at=dt.datetime(2041, 1, 1), trust_anchors=[ca])
    assert report.codes == ["CERT_EXPIRED"]
    assert report.checked_at == "2041-01-01T00:00:00+01:00"


def test_parse_time() -> None:
    assert parse_time("2026-01-01").isoformat() == "2026-01-01T00:00:00+01:00"
    assert parse_time("2025-07-01T12:00:00").isoformat() == "2025-07-01T12:00:00+02:00"
    assert parse_time("2025-07-01T12:00:00Z").utcoffset() == dt.timedelta(0)
    with pytest.raises(ValueError):
        parse_time("yesterday")


# --- the signer must be the sender (adapters/outbound/signing/binding.py) -------------------------


def test_nav_sample_re_signed_by_a_trusted_certificate_of_another_organisation_is_not_valid(
    nav_sample: bytes, enterprise_signer: EnterpriseCertificateSigner, certs: ExampleCertificates,
    ca: x509.Certificate, xmlsec1: str, tmp_path: Path,
) -> None:
    root = etree.fromstring(nav_sample)
    signature = root.find(f"{{{DSIG_NS}}}Signature")
    assert signature is not None
    detach_keeping_tail(signature)
    forged = serialize(enterprise_signer.sign(root))  # NAV's sender 993954896, signed by 921000006
    assert xmlsec_verifies(xmlsec1, certs.ca, forged, tmp_path)  # the cryptography and the chain are fine
    report = verify_msghead(forged, at=dt.datetime.now(dt.UTC), trust_anchors=[ca])
    assert not report.valid and report.codes == ["SENDER_SIGNER_MISMATCH"]
    assert "organisation 921000006" in report.issues[0].message and "993954896" in report.issues[0].message


def test_our_message_signed_by_another_municipality_is_not_valid(
    p12_signer_factory: Callable[[str], EnterpriseCertificateSigner], ca: x509.Certificate,
) -> None:
    other = p12_signer_factory("enterprise-b")
    assert verify_msghead(serialize(other.sign(unsigned_msghead(ORGNR_B))), trust_anchors=[ca]).valid
    report = verify_msghead(serialize(other.sign(unsigned_msghead(ORGNR_A))), trust_anchors=[ca])
    assert report.codes == ["SENDER_SIGNER_MISMATCH"]


def test_a_certificate_with_a_damaged_extension_is_a_finding_not_a_crash(nav_sample: bytes) -> None:
    # The fuzzer's find: a certificate that loads but whose certificatePolicies cannot be decoded
    # raised ValueError from the certificate checks (cryptography reads extensions lazily).
    root = _root(nav_sample)
    element = root.find(f".//{DS}X509Certificate")
    assert element is not None and element.text is not None
    der = bytearray(base64.b64decode(element.text))
    policies = der.find(bytes.fromhex("551d20"))  # the OID 2.5.29.32, certificatePolicies
    assert policies > 0
    der[policies + 5] ^= 0xFF
    element.text = base64.b64encode(bytes(der)).decode()
    report = verify_msghead(_bytes(root), trust_anchors=[certificate_of(nav_sample)])
    assert not report.valid
    assert report.codes == ["CERTIFICATE_MALFORMED"]
