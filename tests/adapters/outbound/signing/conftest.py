"""Fixtures of the signing tests: generated SEID-shaped certificates, an unsigned MsgHead, the two
signers (PKCS#12 file and a SoftHSM2 "smart card"), and the real signed NAV sample."""

from __future__ import annotations

import base64
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pkcs11
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from lxml import etree
from pkcs11 import Attribute, ObjectClass
from pkcs11.util.rsa import decode_rsa_private_key
from pkcs11.util.x509 import decode_x509_certificate

from adapters.outbound.signing.enterprise import EnterpriseCertificateSigner
from adapters.outbound.signing.example_certs import ORGNR_A, ExampleCertificates, generate
from adapters.outbound.signing.smartcard import SmartCardSigner
from gateway.primitives.xmlsafe import parse_xml
from tests.reference import REFERENCE

REPO_ROOT = Path(__file__).resolve().parents[4]
NAV_SAMPLE = REFERENCE / "samples" / "BKM_POM_signed_MsgHead_navikt-ebxml-processor.xml"
MSGHEAD_NS = "http://www.kith.no/xmlstds/msghead/2006-05-24"
CARD_LABEL = "nordgate-card"
#: The same personal key and certificate on a second token, for tests that open and close signers of
#: their own while the session's ``card_signer`` holds the first one (login state is per token).
SPARE_CARD_LABEL = "nordgate-card-spare"
CARD_PIN = "1234"
EMPTY_TOKEN_LABEL = "nordgate-empty"
SOFTHSM_MODULES = (
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/local/lib/softhsm/libsofthsm2.so",
)

# Pretty-printed on purpose (whitespace after the last child must survive the enveloped transform),
# with a comment (excluded by URI="") and non-ASCII text (C14N is UTF-8).
UNSIGNED_MSGHEAD = """<?xml version="1.0" encoding="UTF-8"?>
<MsgHead xmlns="http://www.kith.no/xmlstds/msghead/2006-05-24"
         xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
    <MsgInfo>
        <Type DN="Legeoppgjørsmelding" V="LOM"/>
        <MIGversion>v1.2 2006-05-24</MIGversion>
        <GenDate>2025-03-04T10:15:00</GenDate>
        <MsgId>5f0c1c2e-7a7e-4a6e-9d8e-2b8f4c1d9a10</MsgId>
        <ProcessingStatus DN="Produksjon" V="P"/>
        <Sender>
            <Organisation>
                <OrganisationName>Eksempel kommune</OrganisationName>
                <Ident><Id>8765432</Id><TypeId DN="HER-id" S="2.16.578.1.12.4.1.1.9051" V="HER"/></Ident>
                <Ident><Id>{orgnr}</Id><TypeId DN="Organisasjonsnummer" S="2.16.578.1.12.4.1.1.9051" V="ENH"/></Ident>
            </Organisation>
        </Sender>
        <Receiver>
            <Organisation>
                <OrganisationName>Helfo</OrganisationName>
                <Ident><Id>79768</Id><TypeId DN="HER-id" S="2.16.578.1.12.4.1.1.9051" V="HER"/></Ident>
                <Ident><Id>889640782</Id><TypeId DN="Organisasjonsnummer" S="2.16.578.1.12.4.1.1.9051" V="ENH"/></Ident>
            </Organisation>
        </Receiver>
    </MsgInfo>
    <Document>
        <!-- regningskort fra Tønsberg -->
        <RefDoc>
            <MsgType DN="XML-instans" V="XML"/>
            <MimeType>text/xml</MimeType>
            <Description>BehandlerKrav</Description>
            <Content>
                <BehandlerKrav xmlns="http://www.kith.no/xmlstds/bkm/2006-12-20" navnEPJ="nordgate" versjonEPJ="0.1">
                    <Enkeltregning>
                        <Guid>{{0d4f7a52-3c1e-4b8e-a0f1-9e7d6c5b4a32}}</Guid>
                        <RegningNr>1001</RegningNr>
                        <Behandling>
                            <Takst><Kode>A1</Kode><Verdi U="NOK" V="187.00"/><Antall>1</Antall></Takst>
                        </Behandling>
                    </Enkeltregning>
                    <Krav><AntallRegninger>1</AntallRegninger><SumKravSamlet V="187.00"/></Krav>
                </BehandlerKrav>
            </Content>
        </RefDoc>
    </Document>
</MsgHead>
"""


_MH = f"{{{MSGHEAD_NS}}}"


def unsigned_msghead(orgnr: str = ORGNR_A) -> etree._Element:
    return parse_xml(UNSIGNED_MSGHEAD.format(orgnr=orgnr).encode("utf-8"))


def serialize(root: etree._Element) -> bytes:
    return etree.tostring(root.getroottree(), xml_declaration=True, encoding="UTF-8")


def load_cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def certificate_of(xml: bytes) -> x509.Certificate:
    match = re.search(rb"<ds:X509Certificate>(.*?)</ds:X509Certificate>", xml, re.S)
    assert match is not None
    return x509.load_der_x509_certificate(base64.b64decode(match.group(1)))


def with_practitioner(root: etree._Element, hpr: str) -> etree._Element:
    """``root`` with a HealthcareProfessional (HPR ``hpr``) in its sender, as a personal-card message has."""
    organisation = root.find(f"{_MH}MsgInfo/{_MH}Sender/{_MH}Organisation")
    assert organisation is not None
    professional = etree.SubElement(organisation, _MH + "HealthcareProfessional")
    etree.SubElement(professional, _MH + "FamilyName").text = "Testlege"
    ident = etree.SubElement(professional, _MH + "Ident")
    etree.SubElement(ident, _MH + "Id").text = hpr
    etree.SubElement(ident, _MH + "TypeId", V="HPR", S="2.16.578.1.12.4.1.1.8116", DN="HPR-nummer")
    return root


def xmlsec_verifies(xmlsec1: str, ca: Path, document: bytes, tmp_path: Path) -> bool:
    path = tmp_path / "message.xml"
    path.write_bytes(document)
    result = subprocess.run([xmlsec1, "--verify", "--trusted-pem", str(ca), str(path)], capture_output=True,
                            check=False, timeout=60)
    return result.returncode == 0


@pytest.fixture(scope="session")
def certs(tmp_path_factory: pytest.TempPathFactory) -> ExampleCertificates:
    return generate(tmp_path_factory.mktemp("certs"))


@pytest.fixture(scope="session")
def ca(certs: ExampleCertificates) -> x509.Certificate:
    return load_cert(certs.ca)


@pytest.fixture(scope="session")
def p12_signer_factory(
    certs: ExampleCertificates, ca: x509.Certificate
) -> Callable[[str], EnterpriseCertificateSigner]:
    def make(name: str) -> EnterpriseCertificateSigner:
        return EnterpriseCertificateSigner(
            certs.p12(name), password_file=certs.password_file, trust_anchors=[ca]
        )

    return make


@pytest.fixture(scope="session")
def enterprise_signer(
    p12_signer_factory: Callable[[str], EnterpriseCertificateSigner],
) -> EnterpriseCertificateSigner:
    return p12_signer_factory("enterprise-a")


@dataclass(frozen=True)
class SoftHsmCard:
    module: str
    token_label: str
    pin_file: Path
    key_label: str
    key_id: bytes


def _softhsm_module() -> str | None:
    return next((path for path in SOFTHSM_MODULES if os.path.exists(path)), None)


@pytest.fixture(scope="session")
def softhsm_card(
    certs: ExampleCertificates, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SoftHsmCard]:
    """A SoftHSM2 token holding the personal key and certificate, like a Buypass card."""
    util = shutil.which("softhsm2-util")
    module = _softhsm_module()
    if util is None or module is None:
        pytest.skip("SoftHSM2 is not installed (apt-get install softhsm2); CI installs it")
    base = tmp_path_factory.mktemp("softhsm")
    tokens = base / "tokens"
    tokens.mkdir()
    conf = base / "softhsm2.conf"
    conf.write_text(
        f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n",
        encoding="utf-8",
    )
    with pytest.MonkeyPatch.context() as patch:
        # SoftHSM reads its configuration when the module is initialised: set before pkcs11.lib().
        patch.setenv("SOFTHSM2_CONF", str(conf))
        env = {**os.environ, "SOFTHSM2_CONF": str(conf)}
        for label in (CARD_LABEL, SPARE_CARD_LABEL, EMPTY_TOKEN_LABEL):
            subprocess.run(
                [util, "--init-token", "--free", "--label", label, "--pin", CARD_PIN, "--so-pin", "5678"],
                check=True,
                env=env,
                capture_output=True,
            )
        key = serialization.load_pem_private_key(certs.key("personal").read_bytes(), password=None)
        pkcs1 = key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
        cert_der = load_cert(certs.cert("personal")).public_bytes(serialization.Encoding.DER)
        key_id = b"\x01\x02"
        for label in (CARD_LABEL, SPARE_CARD_LABEL):
            token = pkcs11.lib(module).get_token(token_label=label)
            with token.open(rw=True, user_pin=CARD_PIN) as session:
                private = decode_rsa_private_key(pkcs1)
                private.update(
                    {
                        Attribute.TOKEN: True,
                        Attribute.PRIVATE: True,
                        Attribute.SENSITIVE: True,
                        Attribute.EXTRACTABLE: False,
                        Attribute.LABEL: "signing",
                        Attribute.ID: key_id,
                    }
                )
                session.create_object(private)
                certificate = decode_x509_certificate(cert_der)
                certificate.update(
                    {Attribute.TOKEN: True, Attribute.LABEL: "signing", Attribute.ID: key_id}
                )
                assert certificate[Attribute.CLASS] == ObjectClass.CERTIFICATE
                session.create_object(certificate)
        pin_file = base / "pin"
        pin_file.write_text(CARD_PIN + "\n", encoding="utf-8")
        yield SoftHsmCard(module, CARD_LABEL, pin_file, "signing", key_id)


@pytest.fixture(scope="session")
def card_signer(softhsm_card: SoftHsmCard, ca: x509.Certificate) -> Iterator[SmartCardSigner]:
    signer = SmartCardSigner(
        softhsm_card.module,
        token_label=softhsm_card.token_label,
        pin_file=softhsm_card.pin_file,
        key_label=softhsm_card.key_label,
        trust_anchors=[ca],
    )
    yield signer
    signer.close()


@pytest.fixture(scope="session")
def nav_sample() -> bytes:
    if not NAV_SAMPLE.is_file():
        pytest.skip(f"reference sample not found at {NAV_SAMPLE}: set NORDGATE_TEST_REFERENCE_DIR")
    return NAV_SAMPLE.read_bytes()


@pytest.fixture(scope="session")
def xmlsec1() -> str:
    path = shutil.which("xmlsec1")
    if path is None:
        pytest.skip("xmlsec1 is not installed (apt-get install xmlsec1); CI installs it")
    return path
