"""Builders shared by the settlement service and API tests: batches that pass the rules and fit the
example enterprise certificate, the real PKCS#12 signer, the stand-in AR in-process, AppRecs."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from cryptography import x509
from lxml import etree

from adapters.outbound.address_register import AddressRegisterClient
from adapters.outbound.signing.enterprise import EnterpriseCertificateSigner
from gateway.bootstrap.settlement import in_process_register
from gateway.domain.parties import CertificateKind

REPO = Path(__file__).resolve().parents[4]
CERTS = REPO / "certs-example" / "generated"
AR_DATA = REPO / "samples" / "address-register"
CA_PEM = CERTS / "ca.pem"
ENTERPRISE_P12 = CERTS / "enterprise-a.p12"
PASSWORD_FILE = CERTS / "password.txt"
#: Organisation number in enterprise-a's certificate (NTRNO-921000006).
ORGNR_A = "921000006"
#: "Fysioterapitjenesten" in the stand-in AR.
SENDER_HER_ID = "8142531"
HELFO = "79768"
PATIENT = "15056522279"
APPREC_NS = "http://www.kith.no/xmlstds/apprec/2004-11-21"
_QUOTE = {'"': "&quot;"}


def anchors() -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(CA_PEM.read_bytes())


def enterprise_signer() -> EnterpriseCertificateSigner:
    return EnterpriseCertificateSigner(ENTERPRISE_P12, password_file=PASSWORD_FILE, trust_anchors=anchors())


def register() -> AddressRegisterClient:
    return in_process_register(AR_DATA)


def bill(number: int, **overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "guid": f"0b7e5c1e-2222-4c4c-8a8a-{number:012d}",
        "billNumber": str(3000 + number),
        "dateTime": "2024-06-10T09:00:00+02:00",
        "patient": {"id": PATIENT},
        "practitionerHpr": "2345678",
        "tariffs": [{"code": "2ad", "amount": "196.00", "count": 1}],
        "patientSharePaid": True,
        "patientShare": "176.00",
        "diagnoses": [{"system": "ICPC-2", "code": "K86"}],
    }
    doc.update(overrides)
    return doc


def batch(bills: list[dict[str, Any]] | None = None, *, accounting_type: str = "kommunalt-fellesoppgjor-lege",
          orgnr: str = ORGNR_A, sender: str = SENDER_HER_ID, **overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "account": {"accountingType": accounting_type, "organisationNumber": orgnr,
                    "accountNumber": "63451234562", "senderHerId": sender, "owner": "Berit Admin"},
        "practitioners": [{"hpr": "2345678", "givenName": "Per", "familyName": "Kommunelege"}],
        "bills": bills if bills is not None else [bill(1), bill(2)],
    }
    if accounting_type in ("standard", "kommunalt-enkeltoppgjor-lege"):
        doc["signingPractitionerHpr"] = "2345678"
    doc.update(overrides)
    return doc


def to_bytes(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc).encode()


def apprec(msg_id: str, status: int = 1, errors: tuple[str, ...] = (), sender_her_id: str = HELFO,
           detailed: tuple[tuple[str, str, str | None], ...] = ()) -> bytes:
    """An AppRec 1.0 answering ``msg_id``; ``errors`` are codes only, ``detailed`` (code, DN, OT)."""
    error_xml = "".join(f'<Error V="{code}" DN="feil {code}" S="2.16.578.1.12.4.1.1.8221"/>' for code in errors)
    error_xml += "".join(
        f'<Error V="{code}" DN="{escape(text, _QUOTE)}" S="2.16.578.1.12.4.1.1.8221"'
        + (f' OT="{escape(value, _QUOTE)}"' if value is not None else "") + "/>"
        for code, text, value in detailed)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<AppRec xmlns="{APPREC_NS}">
  <MsgType V="APPREC"/><MIGversion>1.0 2004-11-21</MIGversion><GenDate>2024-06-12T12:05:00</GenDate>
  <Id>c0ffee00-0000-4000-8000-00000000000{status}</Id>
  <Sender><HCP><Inst><Name>Helfo</Name><Id>{sender_her_id}</Id><TypeId V="HER" DN="HER-id"/></Inst></HCP></Sender>
  <Receiver><HCP><Inst><Name>Fysio</Name><Id>{SENDER_HER_ID}</Id><TypeId V="HER" DN="HER-id"/></Inst></HCP></Receiver>
  <Status V="{status}" DN="s"/>{error_xml}
  <OriginalMsgId><MsgType V="LOM"/><IssueDate>2024-06-12T12:00:00</IssueDate><Id>{msg_id}</Id></OriginalMsgId>
</AppRec>""".encode()


def msg_id_of(xml: bytes) -> str:
    root = etree.fromstring(xml)
    found = root.findtext("{http://www.kith.no/xmlstds/msghead/2006-05-24}MsgInfo/"
                          "{http://www.kith.no/xmlstds/msghead/2006-05-24}MsgId")
    assert found
    return found


class FixedClock:
    def __init__(self, start: dt.datetime | None = None) -> None:
        self.now = start or dt.datetime(2025, 3, 4, 10, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


KIND = CertificateKind
