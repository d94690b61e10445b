"""The settlement service end to end with the real PKCS#12 enterprise signer and the stand-in AR
(SOAP over httpx.MockTransport): what is signed, what is stored, what is refused and why."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from adapters.outbound.signing.verify import verify_msghead
from gateway.bootstrap.stores import open_settlement_store
from gateway.domain.parties import CertificateKind
from gateway.domain.settlement_records import SettlementState
from gateway.ports.outbound import Signer
from gateway.primitives.errors import Conflict, MalformedInput, NotFound, SigningRefused, TransientError, Unprocessable
from gateway.settlement.service import BatchRefused, SettlementService
from gateway.settlement.view import settlement_json
from tests.database import database_url_for
from tests.gateway.settlement.service.helpers import (
    FixedClock,
    anchors,
    apprec,
    batch,
    bill,
    enterprise_signer,
    msg_id_of,
    register,
    to_bytes,
)


@pytest.fixture
def service(tmp_path: Path) -> Iterator[SettlementService]:
    store = open_settlement_store(database_url_for(tmp_path, "db.sqlite"))
    ar = register()
    signer = enterprise_signer()
    woken: list[int] = []
    yield SettlementService(store, register=ar, signers={CertificateKind.ENTERPRISE: signer},
                            clock=FixedClock(), on_queued=lambda: woken.append(1))
    store.close()
    ar.close()


def test_submit_signs_and_queues_durably(service: SettlementService, tmp_path: Path) -> None:
    record = service.submit(to_bytes(batch()))
    assert record.state is SettlementState.QUEUED and record.receiver_her_id == "79768"
    message = service.message(record.id)
    report = verify_msghead(message, trust_anchors=anchors())
    assert report.valid, report.to_json()
    assert msg_id_of(message) == record.msg_id
    view = settlement_json(record)
    assert view["totals"] == {"billCount": 2, "sumClaimed": "40.00"}
    assert [b["verdict"] for b in view["bills"]] == ["included", "included"]
    assert view["delivery"]["state"] == "queued" and view["delivery"]["attempts"] == 0
    # on disk: a second connection to the same file sees it
    other = open_settlement_store(database_url_for(tmp_path, "db.sqlite"))
    assert other.message(record.id) == message
    other.close()


def test_official_msghead_schema_is_applied_with_a_reference_folder(tmp_path: Path, reference_dir: Path) -> None:
    store = open_settlement_store(database_url_for(tmp_path, "ref.sqlite"))
    checked = SettlementService(store, register=register(), signers={CertificateKind.ENTERPRISE: enterprise_signer()},
                                reference_dir=reference_dir)
    assert checked.submit(to_bytes(batch())).state is SettlementState.QUEUED
    store.close()


def test_per_bill_verdicts_are_kept(service: SettlementService) -> None:
    bad = bill(2, patientSharePaid=True, exemptionCode="F")
    record = service.submit(to_bytes(batch([bill(1), bad, bill(3)], droppedBills=[bill(3)["guid"]])))
    bills = settlement_json(record)["bills"]
    assert [(b["verdict"], b.get("code")) for b in bills] == [
        ("included", None), ("refused", "BILL_SHARE_PAID_DESPITE_EXEMPTION"), ("dropped", "BILL_DROPPED")]
    assert bills[0]["refund"] == "20.00"


def test_a_batch_refused_as_a_whole_is_stored_with_its_verdicts(service: SettlementService) -> None:
    bad = bill(2, patientSharePaid=True, exemptionCode="F")
    with pytest.raises(BatchRefused) as caught:
        service.submit(to_bytes(batch([bill(1), bad], allOrNothing=True)))
    assert caught.value.code == "BATCH_REFUSED_ALL_OR_NOTHING" and caught.value.http_status == 422
    assert caught.value.settlement_id is not None
    record = service.status(caught.value.settlement_id)
    assert record.state is SettlementState.REFUSED and record.error_code == "BATCH_REFUSED_ALL_OR_NOTHING"
    assert [b["verdict"] for b in orjson.loads(record.verdicts)] == ["included", "refused"]
    assert not record.has_message and record.delivery is None
    with pytest.raises(NotFound) as missing:
        service.message(record.id)
    assert missing.value.code == "SETTLEMENT_NOT_SIGNED"


def test_an_empty_batch_is_refused_with_every_bill_verdict(service: SettlementService) -> None:
    with pytest.raises(BatchRefused) as caught:
        service.submit(to_bytes(batch([bill(1)], droppedBills=[bill(1)["guid"]])))
    assert caught.value.code == "BATCH_EMPTY"
    record = service.status(caught.value.settlement_id or "")
    assert [b["verdict"] for b in orjson.loads(record.verdicts)] == ["dropped"]


def test_unreadable_batches_are_not_stored(service: SettlementService) -> None:
    with pytest.raises(MalformedInput):
        service.submit(b"{not json")


def test_only_a_signer_of_the_other_kind_is_cert_kind_mismatch(service: SettlementService) -> None:
    with pytest.raises(SigningRefused) as caught:
        service.submit(to_bytes(batch(accounting_type="kommunalt-enkeltoppgjor-lege")))
    assert caught.value.code == "CERT_KIND_MISMATCH" and caught.value.http_status == 422


def test_no_signer_at_all_is_503(tmp_path: Path) -> None:
    store = open_settlement_store(database_url_for(tmp_path, "db.sqlite"))
    with pytest.raises(TransientError) as caught:
        SettlementService(store, register=register(), signers={}).submit(to_bytes(batch()))
    assert caught.value.code == "SIGNER_NOT_CONFIGURED" and caught.value.http_status == 503
    store.close()


def test_the_certificate_must_carry_the_accounts_organisation(service: SettlementService) -> None:
    with pytest.raises(SigningRefused) as caught:
        service.submit(to_bytes(batch(orgnr="964000018")))
    assert caught.value.code == "SENDER_SIGNER_MISMATCH"
    assert "the account: 964000018" in caught.value.message and "organisation 921000006" in caught.value.message


def test_the_certificate_is_checked_at_the_signing_time(tmp_path: Path) -> None:
    store = open_settlement_store(database_url_for(tmp_path, "db.sqlite"))
    late = SettlementService(store, register=register(), signers={CertificateKind.ENTERPRISE: enterprise_signer()},
                             clock=FixedClock(dt.datetime(2041, 1, 1, tzinfo=dt.UTC)))
    with pytest.raises(SigningRefused) as caught:
        late.submit(to_bytes(batch()))
    assert caught.value.code.startswith("CERT_")
    store.close()


@pytest.mark.parametrize(("sender", "code"), [("8100999", "SENDER_NOT_IN_AR"), ("8142599", "AR_PARTY_INACTIVE")])
def test_sender_must_be_an_active_party_in_the_ar(service: SettlementService, sender: str, code: str) -> None:
    with pytest.raises(Unprocessable) as caught:
        service.submit(to_bytes(batch(sender=sender)))
    assert caught.value.code == code


def test_no_address_register_is_503(tmp_path: Path) -> None:
    store = open_settlement_store(database_url_for(tmp_path, "db.sqlite"))
    signers: dict[CertificateKind, Signer] = {CertificateKind.ENTERPRISE: enterprise_signer()}
    with pytest.raises(TransientError) as caught:
        SettlementService(store, register=None, signers=signers).submit(to_bytes(batch()))
    assert caught.value.code == "AR_NOT_CONFIGURED"
    store.close()


@pytest.mark.parametrize(("status", "errors", "state"), [
    (1, (), SettlementState.ACKNOWLEDGED),
    (2, ("E10", "E20"), SettlementState.REJECTED),
    (3, ("W1",), SettlementState.ACKNOWLEDGED_WITH_ERRORS),
])
def test_apprec_outcomes(service: SettlementService, status: int, errors: tuple[str, ...],
                         state: SettlementState) -> None:
    record = service.submit(to_bytes(batch()))
    assert record.msg_id is not None
    after = service.record_apprec(apprec(record.msg_id, status, errors))
    assert after.state is state and after.apprec is not None and after.apprec.error_codes == errors
    assert service.record_apprec(apprec(record.msg_id, status, errors)) == after  # idempotent
    with pytest.raises(Conflict) as caught:
        service.record_apprec(apprec(record.msg_id, 2 if status != 2 else 1, ("Z",)))
    assert caught.value.code == "APPREC_CONFLICT"


def test_apprec_for_an_unknown_message_or_from_another_party(service: SettlementService) -> None:
    with pytest.raises(Unprocessable) as caught:
        service.record_apprec(apprec("5f0c1c2e-7a7e-4a6e-9d8e-2b8f4c1d9a10"))
    assert caught.value.code == "APPREC_UNKNOWN_MESSAGE"
    record = service.submit(to_bytes(batch()))
    with pytest.raises(Unprocessable) as other:
        service.record_apprec(apprec(record.msg_id or "", sender_her_id="8142519"))
    assert other.value.code == "APPREC_SENDER_MISMATCH"
