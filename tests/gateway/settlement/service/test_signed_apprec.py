"""Sender = signer for receipts: an AppRec signed as CMS signed data is recorded
only when OpenSSL's signature verifies, the certificate chains to a trust anchor and it is an
enterprise certificate of the organisation the address register gives for the party the settlement
went to; a plain AppRec stays accepted unless signed ones are required."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.outbound.address_register import AddressRegisterClient
from gateway.bootstrap.settlement import in_process_register
from gateway.bootstrap.stores import open_settlement_store
from gateway.domain.parties import CertificateKind
from gateway.domain.settlement_records import SettlementRecord, SettlementState
from gateway.primitives.errors import NordgateError
from gateway.settlement.service import SettlementService
from tests.adapters.outbound.cms_signing import Identity, enterprise, example, example_ca, new_ca, sign
from tests.database import database_url_for
from tests.gateway.settlement.service.helpers import (
    AR_DATA,
    HELFO,
    FixedClock,
    anchors,
    apprec,
    batch,
    enterprise_signer,
    register,
    to_bytes,
)

#: The organisation number the sample register gives Helfo (79768), the receiver of every settlement here.
HELFO_ORGNR = str(json.loads((AR_DATA / "79768-helfo.json").read_text(encoding="utf-8"))["organizationNumber"])
OTHER = example("enterprise-a")  # the municipality's own certificate: a trusted signer, of another organisation


@pytest.fixture(scope="module")
def helfo(tmp_path_factory: pytest.TempPathFactory) -> Identity:
    """An enterprise certificate of Helfo's organisation number from the example test CA."""
    return enterprise(tmp_path_factory.mktemp("helfo"), HELFO_ORGNR, example_ca(), name="HELFO TEST")


def make_service(tmp_path: Path, ar: AddressRegisterClient, *, require: bool = False,
                 database: str = "signed-apprec.sqlite") -> SettlementService:
    store = open_settlement_store(database_url_for(tmp_path, database))
    return SettlementService(store, register=ar, signers={CertificateKind.ENTERPRISE: enterprise_signer()},
                             clock=FixedClock(), apprec_trust_anchors=anchors(), require_signed_apprec=require)


@pytest.fixture
def service(tmp_path: Path) -> Iterator[SettlementService]:
    ar = register()
    made = make_service(tmp_path, ar)
    yield made
    made.store.close()
    ar.close()


def sent(service: SettlementService) -> SettlementRecord:
    record = service.submit(to_bytes(batch()))
    assert record.msg_id is not None and record.receiver_her_id == HELFO
    return record


def refusal(service: SettlementService, body: bytes) -> NordgateError:
    with pytest.raises(NordgateError) as caught:
        service.record_apprec(body)
    return caught.value


def test_an_apprec_signed_by_the_receivers_organisation_is_recorded(service: SettlementService,
                                                                     helfo: Identity) -> None:
    record = sent(service)
    after = service.record_apprec(sign(apprec(record.msg_id or "", 2, ("X12",)), helfo))
    assert after.state is SettlementState.REJECTED and after.apprec is not None
    assert after.apprec.error_codes == ("X12",)


def test_another_organisations_certificate_is_sender_signer_mismatch_naming_the_numbers(
    service: SettlementService
) -> None:
    record = sent(service)
    refused = refusal(service, sign(apprec(record.msg_id or ""), OTHER))
    assert (refused.code, refused.http_status, refused.her_id) == ("SENDER_SIGNER_MISMATCH", 422, HELFO)
    assert "921000006" in refused.message and HELFO_ORGNR in refused.message and HELFO in refused.message
    assert service.status(record.id).apprec is None  # nothing recorded


def test_a_personal_card_speaks_for_no_organisation(service: SettlementService) -> None:
    record = sent(service)
    refused = refusal(service, sign(apprec(record.msg_id or ""), example("personal")))
    assert refused.code == "SENDER_SIGNER_MISMATCH" and "personal certificate" in refused.message


def test_a_changed_apprec_is_signature_invalid(service: SettlementService, helfo: Identity) -> None:
    record = sent(service)
    signed = sign(apprec(record.msg_id or "", 1), helfo)
    changed = signed.replace(b'<Status V="1"', b'<Status V="2"')
    assert changed != signed
    assert refusal(service, changed).code == "SIGNATURE_INVALID"
    assert service.status(record.id).apprec is None


def test_the_right_organisation_from_an_untrusted_ca_is_cert_untrusted(service: SettlementService,
                                                                        tmp_path: Path) -> None:
    record = sent(service)
    impostor = enterprise(tmp_path / "impostor", HELFO_ORGNR, new_ca("Impostor CA (TEST ONLY)"))
    assert refusal(service, sign(apprec(record.msg_id or ""), impostor)).code == "CERT_UNTRUSTED"


def test_a_sha1_signature_is_refused_as_weak(service: SettlementService, helfo: Identity) -> None:
    record = sent(service)
    assert refusal(service, sign(apprec(record.msg_id or ""), helfo, md="sha1")).code == "ALGORITHM_WEAK"


def test_a_plain_apprec_is_taken_unless_signed_ones_are_required(service: SettlementService,
                                                                 tmp_path: Path, helfo: Identity) -> None:
    record = sent(service)
    assert service.record_apprec(apprec(record.msg_id or "")).state is SettlementState.ACKNOWLEDGED
    ar = register()
    strict = make_service(tmp_path, ar, require=True, database="strict.sqlite")
    try:
        other = sent(strict)
        refused = refusal(strict, apprec(other.msg_id or ""))
        assert (refused.code, refused.http_status) == ("APPREC_SIGNATURE_MISSING", 422)
        assert strict.record_apprec(sign(apprec(other.msg_id or ""), helfo)).state is SettlementState.ACKNOWLEDGED
    finally:
        strict.store.close()
        ar.close()


def test_a_receiver_without_its_own_number_is_its_parents(tmp_path: Path, helfo: Identity) -> None:
    """A department registered without an organisation number of its own is bound to its parent's,
    as the sender's ENH is in a MsgHead."""
    data = tmp_path / "ar"
    data.mkdir()
    for sample in AR_DATA.glob("*.json"):
        party = json.loads(sample.read_text(encoding="utf-8"))
        if party["herId"] == int(HELFO):
            del party["organizationNumber"]
            party.update(parentHerId=79000, parentName="Helfo sentralt", parentOrganizationNumber=HELFO_ORGNR)
        (data / sample.name).write_text(json.dumps(party), encoding="utf-8")
    ar = in_process_register(data)
    service = make_service(tmp_path, ar)
    try:
        record = sent(service)
        assert refusal(service, sign(apprec(record.msg_id or ""), OTHER)).code == "SENDER_SIGNER_MISMATCH"
        assert service.record_apprec(sign(apprec(record.msg_id or ""), helfo)).state is SettlementState.ACKNOWLEDGED
    finally:
        service.store.close()
        ar.close()
