"""Both signers produce a signature that our verifier, signxml and xmlsec1 accept, and that all three
reject after one byte of signed content changes."""

from __future__ import annotations

import datetime as dt
import subprocess
import threading
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree
from signxml.verifier import XMLVerifier

from adapters.outbound.signing.base import CertificateSigner
from adapters.outbound.signing.example_certs import ExampleCertificates
from adapters.outbound.signing.verify import verify_msghead
from adapters.outbound.signing.xmldsig import DSIG_NS, sign_enveloped
from gateway.domain.parties import CertificateKind
from gateway.ports.outbound import Signer
from gateway.primitives.errors import SigningRefused

from .conftest import serialize, unsigned_msghead

SIGN_TIME = dt.datetime(2025, 3, 4, 10, 15, tzinfo=dt.UTC)


@pytest.fixture(params=["pkcs12", "smartcard"])
def signer(request: pytest.FixtureRequest) -> CertificateSigner:
    name = "enterprise_signer" if request.param == "pkcs12" else "card_signer"
    value = request.getfixturevalue(name)
    assert isinstance(value, CertificateSigner)
    return value


@pytest.fixture
def signed(signer: CertificateSigner) -> bytes:
    return serialize(signer.sign(unsigned_msghead()))


def _xmlsec_verify(xmlsec1: str, ca: Path, document: bytes, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "signed.xml"
    path.write_bytes(document)
    return subprocess.run(
        [xmlsec1, "--verify", "--trusted-pem", str(ca), str(path)],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _tamper(document: bytes) -> bytes:
    changed = document.replace(b'V="187.00"/><Antall>', b'V="188.00"/><Antall>', 1)
    assert changed != document and len(changed) == len(document)
    return changed


def test_signers_satisfy_the_port(signer: CertificateSigner) -> None:
    port: Signer = signer
    assert port.certificate_der == signer.certificate.public_bytes(Encoding.DER)


def test_signature_is_the_last_child_with_the_profile_algorithms(signer: CertificateSigner) -> None:
    root = signer.sign(unsigned_msghead())
    last = root[-1]
    assert last.tag == f"{{{DSIG_NS}}}Signature"
    ns = {"ds": DSIG_NS}
    assert last.xpath("ds:SignedInfo/ds:Reference/@URI", namespaces=ns) == [""]
    assert last.xpath("ds:SignedInfo/ds:Reference/ds:Transforms/ds:Transform/@Algorithm", namespaces=ns) == [
        "http://www.w3.org/2000/09/xmldsig#enveloped-signature",
        "http://www.w3.org/TR/2001/REC-xml-c14n-20010315",
    ]
    assert last.xpath("ds:SignedInfo/ds:SignatureMethod/@Algorithm", namespaces=ns) == [
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
    ]
    assert last.xpath("ds:SignedInfo/ds:Reference/ds:DigestMethod/@Algorithm", namespaces=ns) == [
        "http://www.w3.org/2001/04/xmlenc#sha256"
    ]
    assert len(last.findall(f"{{{DSIG_NS}}}KeyInfo/{{{DSIG_NS}}}X509Data/{{{DSIG_NS}}}X509Certificate")) == 1


def test_our_verifier_accepts(signed: bytes, ca: x509.Certificate, signer: CertificateSigner) -> None:
    report = verify_msghead(signed, trust_anchors=[ca])
    assert report.valid, report.to_json()
    assert report.certificate is not None and report.signed is not None
    assert report.certificate.kind == signer.kind.value
    assert report.signed.msg_id == "5f0c1c2e-7a7e-4a6e-9d8e-2b8f4c1d9a10"
    assert report.signed.receiver_her_ids == ["79768"]


def _pem(signer: CertificateSigner) -> str:
    return signer.certificate.public_bytes(Encoding.PEM).decode("ascii")


def test_signxml_accepts(signed: bytes, signer: CertificateSigner) -> None:
    # signxml's own chain check demands digitalSignature, which SEID signing certificates (and the
    # real NAV sample) do not carry: pin the certificate; xmlsec1 below checks the chain.
    result = XMLVerifier().verify(signed, x509_cert=_pem(signer))
    assert not isinstance(result, list) and result.signed_xml is not None


def test_xmlsec1_accepts(signed: bytes, certs: ExampleCertificates, xmlsec1: str, tmp_path: Path) -> None:
    result = _xmlsec_verify(xmlsec1, certs.ca, signed, tmp_path)
    assert result.returncode == 0, result.stderr


def test_one_changed_byte_fails_everywhere(
    signed: bytes,
    signer: CertificateSigner,
    certs: ExampleCertificates,
    ca: x509.Certificate,
    xmlsec1: str,
    tmp_path: Path,
) -> None:
    tampered = _tamper(signed)
    report = verify_msghead(tampered, trust_anchors=[ca])
    assert not report.valid
    assert report.codes == ["DIGEST_MISMATCH"]
    with pytest.raises(Exception):  # noqa: B017 - signxml raises its own InvalidDigest
        XMLVerifier().verify(tampered, x509_cert=_pem(signer))
    assert _xmlsec_verify(xmlsec1, certs.ca, tampered, tmp_path).returncode != 0


def test_changed_msg_id_fails(signed: bytes, ca: x509.Certificate) -> None:
    tampered = signed.replace(b"5f0c1c2e-7a7e", b"5f0c1c2e-7a7f", 1)
    assert "DIGEST_MISMATCH" in verify_msghead(tampered, trust_anchors=[ca]).codes


def test_card_and_file_signers_report_their_kind(
    enterprise_signer: CertificateSigner, card_signer: CertificateSigner
) -> None:
    assert enterprise_signer.kind is CertificateKind.ENTERPRISE
    assert card_signer.kind is CertificateKind.PERSONAL


def test_check_passes_for_fitting_certificates(
    enterprise_signer: CertificateSigner, card_signer: CertificateSigner
) -> None:
    enterprise_signer.check(at=SIGN_TIME, expected_kind=CertificateKind.ENTERPRISE, organisation_number="921000006")
    card_signer.check(at=SIGN_TIME, expected_kind=CertificateKind.PERSONAL, organisation_number=None)


def test_card_signs_from_many_threads(card_signer: CertificateSigner, ca: x509.Certificate) -> None:
    results: list[bytes] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            results.append(serialize(card_signer.sign(unsigned_msghead())))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert all(verify_msghead(doc, trust_anchors=[ca]).valid for doc in results)


def test_signing_twice_is_refused(enterprise_signer: CertificateSigner) -> None:
    root = enterprise_signer.sign(unsigned_msghead())
    with pytest.raises(SigningRefused) as caught:
        enterprise_signer.sign(root)
    assert caught.value.code == "SIGN_ALREADY_SIGNED"


def test_only_a_document_root_is_signed(enterprise_signer: CertificateSigner) -> None:
    wrapper = etree.Element("wrapper")
    wrapper.append(unsigned_msghead())
    with pytest.raises(SigningRefused) as caught:
        enterprise_signer.sign(wrapper[0])
    assert caught.value.code == "SIGN_NOT_DOCUMENT_ROOT"


def test_failing_raw_signer_leaves_the_message_untouched(enterprise_signer: CertificateSigner) -> None:
    root = unsigned_msghead()
    before = etree.tostring(root)

    def broken(_: bytes) -> bytes:
        raise RuntimeError("token removed")

    with pytest.raises(RuntimeError):
        sign_enveloped(root, certificate_der=enterprise_signer.certificate_der, raw_sign=broken)
    assert etree.tostring(root) == before


def test_signature_survives_reserialisation(signed: bytes, ca: x509.Certificate) -> None:
    # A transport that re-encodes the document (other declaration, UTF-16) must not break it.
    root = etree.fromstring(signed)
    reencoded = etree.tostring(root.getroottree(), encoding="UTF-16", xml_declaration=True)
    assert isinstance(reencoded, bytes)
    assert verify_msghead(reencoded, trust_anchors=[ca]).valid


_TEMPLATE = (
    '<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo>'
    '<ds:CanonicalizationMethod Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315"/>'
    '<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>'
    '<ds:Reference URI=""><ds:Transforms>'
    '<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/></ds:Transforms>'
    '<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue/>'
    "</ds:Reference></ds:SignedInfo><ds:SignatureValue/>"
    "<ds:KeyInfo><ds:X509Data><ds:X509Certificate/></ds:X509Data></ds:KeyInfo></ds:Signature>"
)


def test_xmlsec1_signed_message_verifies_with_ours(
    certs: ExampleCertificates, ca: x509.Certificate, xmlsec1: str, tmp_path: Path
) -> None:
    # The signature here is followed by a newline: the enveloped transform must keep that text.
    text = serialize(unsigned_msghead()).decode("utf-8")
    template = tmp_path / "template.xml"
    template.write_text(text.replace("</Document>\n</MsgHead>", f"</Document>\n{_TEMPLATE}\n</MsgHead>"))
    out = tmp_path / "signed.xml"
    subprocess.run(
        [
            xmlsec1,
            "--sign",
            "--privkey-pem",
            f"{certs.key('enterprise-a')},{certs.cert('enterprise-a')}",
            "--output",
            str(out),
            str(template),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    assert out.read_bytes().rstrip().endswith(b"</ds:Signature>\n</MsgHead>")
    report = verify_msghead(out.read_bytes(), trust_anchors=[ca])
    assert report.valid, report.to_json()
