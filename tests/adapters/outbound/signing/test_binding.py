"""Sender = signer: the card holder record, the verifier's SENDER_SIGNER_MISMATCH, and the smart card
bound to its holder when a settlement is composed.

A signature by a trusted certificate of the wrong organisation is cryptographically perfect (xmlsec1
accepts one in test_verify.py), so the binding is a check of its own.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cryptography import x509
from lxml import etree

from adapters.outbound.signing.binding import CardHolders
from adapters.outbound.signing.enterprise import EnterpriseCertificateSigner
from adapters.outbound.signing.example_certs import ORGNR_A, ORGNR_B, PERSONAL_SERIAL, ExampleCertificates
from adapters.outbound.signing.smartcard import SmartCardSigner
from adapters.outbound.signing.verify import verify_msghead
from adapters.outbound.signing.xmldsig import detach_keeping_tail
from gateway.domain.parties import CertificateKind
from gateway.domain.settlement import SettlementPlan
from gateway.primitives.errors import ConfigurationError, SigningRefused
from gateway.settlement.batch import parse_batch
from gateway.settlement.compose import compose_signed
from gateway.settlement.rules import check
from tests.gateway.settlement.service.helpers import batch, register, to_bytes

from .conftest import (
    MSGHEAD_NS,
    SPARE_CARD_LABEL,
    SoftHsmCard,
    certificate_of,
    load_cert,
    serialize,
    unsigned_msghead,
    with_practitioner,
    xmlsec_verifies,
)

MH = f"{{{MSGHEAD_NS}}}"
HOLDER = "2345678"  # the signing practitioner of tests/gateway/settlement/service/helpers.batch's personal batches

MakeCard = Callable[[CardHolders | None], SmartCardSigner]


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# --- the card holder record ------------------------------------------------------------------------


def test_the_record_gives_a_personal_certificates_holder(tmp_path: Path, certs: ExampleCertificates) -> None:
    path = tmp_path / "holders.json"
    path.write_text(json.dumps({PERSONAL_SERIAL: HOLDER, "UN:NO-9578-4050-999999999": "1234567"}), encoding="utf-8")
    holders = CardHolders.load(path)
    assert len(holders) == 2
    assert holders.hpr_of(load_cert(certs.cert("personal"))) == HOLDER
    assert holders.hpr_of(load_cert(certs.cert("enterprise-a"))) is None  # no personal serialNumber


def test_the_committed_record_is_readable_and_names_the_test_card() -> None:
    record = Path(__file__).resolve().parents[4] / "certs-example" / "card-holders.json"
    assert len(CardHolders.load(record)) == 1 and PERSONAL_SERIAL in record.read_text(encoding="utf-8")


@pytest.mark.parametrize(("content", "code", "fragment"), [
    (f'{{"{PERSONAL_SERIAL}": "1234567", "{PERSONAL_SERIAL}": "2345678"}}', "CARD_HOLDERS_INVALID", "named twice"),
    ('{"100105515": "1234567"}', "CARD_HOLDERS_INVALID", "serialNumber"),
    (f'{{"{PERSONAL_SERIAL}": 1234567}}', "CARD_HOLDERS_INVALID", "4 to 9 digits"),
    (f'{{"{PERSONAL_SERIAL}": "12"}}', "CARD_HOLDERS_INVALID", "4 to 9 digits"),
    ("[]", "CARD_HOLDERS_INVALID", "object"),
    ("{not json", "CARD_HOLDERS_UNREADABLE", "not JSON"),
])
def test_a_bad_record_is_refused_naming_what_is_wrong(tmp_path: Path, content: str, code: str, fragment: str) -> None:
    path = tmp_path / "holders.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigurationError) as caught:
        CardHolders.load(path)
    assert caught.value.code == code and fragment in caught.value.message


def test_a_missing_record_is_unreadable(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError) as caught:
        CardHolders.load(tmp_path / "none.json")
    assert caught.value.code == "CARD_HOLDERS_UNREADABLE"


# --- the verifier: enterprise -----------------------------------------------------------------------


def test_the_real_sample_is_signed_by_its_sender(nav_sample: bytes) -> None:
    report = verify_msghead(nav_sample, trust_anchors=[certificate_of(nav_sample)])
    assert report.valid and "SENDER_SIGNER_MISMATCH" not in report.codes


def test_a_number_below_the_senders_organisation_does_not_bind(
    enterprise_signer: EnterpriseCertificateSigner, ca: x509.Certificate,
) -> None:
    # The sender is ORGNR_B; a sub-organisation carrying the certificate's ORGNR_A must not make it fit.
    root = unsigned_msghead(ORGNR_B)
    organisation = root.find(f"{MH}MsgInfo/{MH}Sender/{MH}Organisation")
    assert organisation is not None
    department = etree.SubElement(organisation, MH + "Organisation")
    ident = etree.SubElement(department, MH + "Ident")
    etree.SubElement(ident, MH + "Id").text = ORGNR_A
    etree.SubElement(ident, MH + "TypeId", V="ENH", S="2.16.578.1.12.4.1.1.9051")
    assert verify_msghead(serialize(enterprise_signer.sign(root)), trust_anchors=[ca]).codes == [
        "SENDER_SIGNER_MISMATCH"
    ]


def test_a_sender_naming_no_organisation_number_does_not_bind(
    enterprise_signer: EnterpriseCertificateSigner, ca: x509.Certificate,
) -> None:
    root = unsigned_msghead()
    for ident in root.findall(f"{MH}MsgInfo/{MH}Sender/{MH}Organisation/{MH}Ident"):
        if ident.find(f"{MH}TypeId[@V='ENH']") is not None:
            detach_keeping_tail(ident)
    report = verify_msghead(serialize(enterprise_signer.sign(root)), trust_anchors=[ca])
    assert report.codes == ["SENDER_SIGNER_MISMATCH"] and "ENH): none" in report.issues[0].message


# --- the verifier: personal card ----------------------------------------------------------------------


def test_a_card_signature_is_bound_to_the_senders_practitioner_by_the_record(
    card_signer: SmartCardSigner, ca: x509.Certificate,
) -> None:
    signed = serialize(card_signer.sign(with_practitioner(unsigned_msghead(), HOLDER)))
    assert verify_msghead(signed, trust_anchors=[ca], card_holders=CardHolders({PERSONAL_SERIAL: HOLDER})).valid
    other = verify_msghead(signed, trust_anchors=[ca], card_holders=CardHolders({PERSONAL_SERIAL: "1234567"}))
    assert other.codes == ["SENDER_SIGNER_MISMATCH"]
    assert "belongs to practitioner 1234567" in other.issues[0].message and HOLDER in other.issues[0].message
    unknown = verify_msghead(signed, trust_anchors=[ca], card_holders=CardHolders({}))
    assert unknown.codes == ["SENDER_SIGNER_MISMATCH"]
    assert "nobody in the card holder record" in unknown.issues[0].message
    # Without a record nothing binds the card to an HPR number: not compared, and the report shows both sides.
    plain = verify_msghead(signed, trust_anchors=[ca])
    assert plain.valid and plain.signed is not None and plain.signed.sender_practitioner_hprs == [HOLDER]


# --- the card signer bound to its holder -----------------------------------------------------------


@pytest.fixture
def spare_card(softhsm_card: SoftHsmCard, ca: x509.Certificate) -> Iterator[MakeCard]:
    """Signers on the second token, each closed after the test (one logged-in signer per token)."""
    opened: list[SmartCardSigner] = []

    def make(holders: CardHolders | None) -> SmartCardSigner:
        signer = SmartCardSigner(softhsm_card.module, token_label=SPARE_CARD_LABEL, pin_file=softhsm_card.pin_file,
                                 key_label=softhsm_card.key_label, trust_anchors=[ca], card_holders=holders)
        opened.append(signer)
        return signer

    yield make
    for signer in opened:
        signer.close()


def test_the_card_signer_knows_its_holder(spare_card: MakeCard) -> None:
    assert spare_card(CardHolders({PERSONAL_SERIAL: HOLDER})).holder_hpr == HOLDER


def test_a_card_missing_from_the_record_stops_the_start_and_frees_the_card(
    spare_card: MakeCard,
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        spare_card(CardHolders({"UN:NO-9578-4050-999999999": HOLDER}))
    assert caught.value.code == "CARD_HOLDER_UNKNOWN" and PERSONAL_SERIAL in caught.value.message
    assert spare_card(CardHolders({PERSONAL_SERIAL: HOLDER})).holder_hpr == HOLDER  # logged out again


def personal_plan() -> SettlementPlan:
    return check(parse_batch(to_bytes(batch(accounting_type="kommunalt-enkeltoppgjor-lege"))))


def test_the_holders_card_signs_the_holders_settlement(
    spare_card: MakeCard, certs: ExampleCertificates, ca: x509.Certificate,
    xmlsec1: str, tmp_path: Path,
) -> None:
    holders = CardHolders({PERSONAL_SERIAL: HOLDER})
    signed = compose_signed(personal_plan(), register=register(),
                            signers={CertificateKind.PERSONAL: spare_card(holders)}, at=now())
    assert xmlsec_verifies(xmlsec1, certs.ca, signed.xml, tmp_path)
    report = verify_msghead(signed.xml, trust_anchors=[ca], card_holders=holders)
    assert report.valid, report.to_json()
    assert report.signed is not None and report.signed.sender_practitioner_hprs == [HOLDER]


@pytest.mark.parametrize(("holders", "fragment"), [
    (CardHolders({PERSONAL_SERIAL: "1234567"}), "belongs to practitioner 1234567"),
    (None, "belongs to nobody in the card holder record"),
])
def test_a_card_that_is_not_the_practitioners_signs_nothing(
    spare_card: MakeCard, holders: CardHolders | None, fragment: str,
) -> None:
    with pytest.raises(SigningRefused) as caught:
        compose_signed(personal_plan(), register=register(),
                       signers={CertificateKind.PERSONAL: spare_card(holders)}, at=now())
    assert (caught.value.code, caught.value.http_status) == ("SENDER_SIGNER_MISMATCH", 422)
    assert fragment in caught.value.message
    assert f"the batch's signing practitioner: {HOLDER}" in caught.value.message
