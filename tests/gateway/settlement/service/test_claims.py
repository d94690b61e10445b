"""Never claimed twice: the settlement service with the real enterprise signer, the
stand-in AR and the suite's database. A bill sent once is refused BILL_ALREADY_CLAIMED in every
later batch until HELFO rejects it; nothing is signed for a batch whose every bill is claimed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from lxml import etree

from adapters.outbound.signing.enterprise import EnterpriseCertificateSigner
from gateway.bootstrap.stores import open_settlement_store
from gateway.domain.parties import CertificateKind
from gateway.domain.settlement_records import BillClaim, HeldClaim, SettlementRecord, SettlementState
from gateway.ports.settlement import SettlementStore
from gateway.settlement.service import BatchRefused, SettlementService
from gateway.settlement.view import settlement_json
from tests.database import database_url_for
from tests.gateway.settlement.service.helpers import (
    ENTERPRISE_P12,
    PASSWORD_FILE,
    FixedClock,
    anchors,
    apprec,
    batch,
    bill,
    register,
    to_bytes,
)

BKM = "http://www.kith.no/xmlstds/HelseOpplysningerArbeidsgiver/2008-03-12"


class CountingSigner(EnterpriseCertificateSigner):
    """The real PKCS#12 signer, counting its signatures."""

    def __init__(self) -> None:
        super().__init__(ENTERPRISE_P12, password_file=PASSWORD_FILE, trust_anchors=anchors())
        self.signatures = 0

    def sign(self, msghead: etree._Element) -> etree._Element:
        self.signatures += 1
        return super().sign(msghead)


@pytest.fixture
def signer() -> CountingSigner:
    return CountingSigner()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SettlementStore]:
    opened = open_settlement_store(database_url_for(tmp_path, "claims.sqlite"))
    yield opened
    opened.close()


def service_for(store: SettlementStore, signer: CountingSigner) -> SettlementService:
    return SettlementService(store, register=register(), signers={CertificateKind.ENTERPRISE: signer},
                             clock=FixedClock())


@pytest.fixture
def service(store: SettlementStore, signer: CountingSigner) -> SettlementService:
    return service_for(store, signer)


def bills_of(record: SettlementRecord) -> list[dict[str, Any]]:
    return list(settlement_json(record)["bills"])


def refused(service: SettlementService, body: dict[str, Any]) -> tuple[BatchRefused, SettlementRecord]:
    with pytest.raises(BatchRefused) as caught:
        service.submit(to_bytes(body))
    return caught.value, service.status(caught.value.settlement_id or "")


def bill_numbers_sent(message: bytes) -> list[str]:
    """RegningNr of every bill in a signed message, read from the XML, not from our records."""
    return [str(n.text) for n in etree.fromstring(message).iter() if etree.QName(n).localname == "RegningNr"]


def test_the_same_batch_again_is_refused_bill_by_bill_and_nothing_is_signed(
        service: SettlementService, signer: CountingSigner) -> None:
    first = service.submit(to_bytes(batch()))
    assert first.state is SettlementState.QUEUED and signer.signatures == 1
    for _ in range(2):
        error, record = refused(service, batch())
        assert error.code == "BATCH_EMPTY" and error.http_status == 422
        assert [i.code for i in error.issues] == ["BILL_ALREADY_CLAIMED"] * 2
        assert record.state is SettlementState.REFUSED and not record.has_message and record.delivery is None
        assert [(b["verdict"], b["code"], b["claimedBy"]) for b in bills_of(record)] == \
            [("refused", "BILL_ALREADY_CLAIMED", first.id)] * 2
        assert first.id in bills_of(record)[0]["reason"] and str(first.msg_id) in bills_of(record)[0]["reason"]
    assert signer.signatures == 1


def test_only_the_unclaimed_bills_of_a_later_batch_are_sent(service: SettlementService) -> None:
    first = service.submit(to_bytes(batch([bill(1), bill(2)])))
    second = service.submit(to_bytes(batch([bill(2), bill(3)])))
    assert second.state is SettlementState.QUEUED
    view = settlement_json(second)
    assert [(b["verdict"], b.get("code")) for b in view["bills"]] == [("refused", "BILL_ALREADY_CLAIMED"),
                                                                     ("included", None)]
    assert view["bills"][0]["claimedBy"] == first.id
    assert view["totals"] == {"billCount": 1, "sumClaimed": "20.00"}
    assert bill_numbers_sent(service.message(second.id)) == [bill(3)["billNumber"]]


@pytest.mark.parametrize("same", ["RegningNr", "GUID"])
def test_a_bill_is_known_by_its_guid_and_by_practitioner_and_number(service: SettlementService, same: str) -> None:
    first = service.submit(to_bytes(batch([bill(1)])))
    other = bill(9)  # another bill altogether, but for one key of bill 1
    if same == "RegningNr":
        other["billNumber"] = bill(1)["billNumber"]
    else:
        other["guid"] = "{" + bill(1)["guid"].upper() + "}"  # braces and case do not make another bill
    _, record = refused(service, batch([other]))
    assert bills_of(record)[0]["code"] == "BILL_ALREADY_CLAIMED" and bills_of(record)[0]["claimedBy"] == first.id


def test_the_same_number_of_another_practitioner_is_another_bill(service: SettlementService) -> None:
    service.submit(to_bytes(batch([bill(1)])))
    other = bill(2, billNumber=bill(1)["billNumber"], practitionerHpr="3456789")
    doc = batch([other])
    doc["practitioners"].append({"hpr": "3456789", "givenName": "Kari", "familyName": "Kommunelege"})
    assert service.submit(to_bytes(doc)).state is SettlementState.QUEUED


def test_a_sent_bill_may_be_credited_once(service: SettlementService) -> None:
    service.submit(to_bytes(batch([bill(1)])))
    credit = service.submit(to_bytes(batch([bill(1, credit=True)])))
    assert credit.state is SettlementState.QUEUED
    _, again = refused(service, batch([bill(1, credit=True)]))
    assert bills_of(again)[0]["claimedBy"] == credit.id and "a credit of" in bills_of(again)[0]["reason"]


def test_a_bill_helfo_rejected_may_be_sent_again_with_the_same_number(service: SettlementService) -> None:
    first = service.submit(to_bytes(batch()))
    rejected = service.record_apprec(apprec(first.msg_id or "", 2, ("X99",)))
    assert [(b["status"], b["claim"]) for b in bills_of(rejected)] == [("rejected", "released")] * 2
    again = service.submit(to_bytes(batch()))
    assert again.state is SettlementState.QUEUED and settlement_json(again)["totals"]["billCount"] == 2
    refused(service, batch())  # claimed again by the new settlement


def test_an_accepted_bill_stays_claimed(service: SettlementService) -> None:
    first = service.submit(to_bytes(batch()))
    accepted = service.record_apprec(apprec(first.msg_id or ""))
    assert [(b["status"], b["claim"]) for b in bills_of(accepted)] == [("accepted", "held")] * 2
    refused(service, batch())


def test_all_or_nothing_refuses_a_batch_with_one_claimed_bill(service: SettlementService,
                                                              signer: CountingSigner) -> None:
    service.submit(to_bytes(batch([bill(1)])))
    error, record = refused(service, batch([bill(1), bill(2)], allOrNothing=True))
    assert error.code == "BATCH_REFUSED_ALL_OR_NOTHING" and [i.code for i in error.issues] == ["BILL_ALREADY_CLAIMED"]
    assert [b["verdict"] for b in bills_of(record)] == ["refused", "included"]  # what bill 2 would have been
    assert signer.signatures == 1
    assert service.submit(to_bytes(batch([bill(2)]))).state is SettlementState.QUEUED  # bill 2 was never claimed


class RacedStore:
    """The service's store, but a rival service stores its batch right after this one has looked
    for held claims and found none: the unique indexes, not that look, must then decide."""

    def __init__(self, inner: SettlementStore, rival: SettlementService, rival_batch: bytes) -> None:
        self._inner = inner
        self._rival = rival
        self._rival_batch = rival_batch
        self.rival_record: SettlementRecord | None = None

    def held_claims(self, claims: list[BillClaim]) -> list[HeldClaim]:
        held = self._inner.held_claims(claims)
        if self.rival_record is None:
            self.rival_record = self._rival.submit(self._rival_batch)
        return held

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def test_a_bill_claimed_between_the_look_and_the_store_is_refused_and_the_rest_signed_again(
        tmp_path: Path, store: SettlementStore, signer: CountingSigner) -> None:
    rival_store = open_settlement_store(database_url_for(tmp_path, "claims.sqlite"))  # same database, own connection
    try:
        rival = service_for(rival_store, CountingSigner())
        raced = RacedStore(store, rival, to_bytes(batch([bill(2), bill(4)])))
        service = service_for(raced, signer)  # type: ignore[arg-type]
        record = service.submit(to_bytes(batch([bill(1), bill(2), bill(3)])))
        assert raced.rival_record is not None and raced.rival_record.state is SettlementState.QUEUED
        assert [(b["verdict"], b.get("claimedBy")) for b in bills_of(record)] == [
            ("included", None), ("refused", raced.rival_record.id), ("included", None)]
        assert signer.signatures == 2  # the first signature carried bill 2 and was thrown away
        assert bill_numbers_sent(service.message(record.id)) == [bill(1)["billNumber"], bill(3)["billNumber"]]
        assert settlement_json(record)["totals"] == {"billCount": 2, "sumClaimed": "40.00"}
    finally:
        rival_store.close()


def test_an_idempotent_retry_still_answers_its_settlement(service: SettlementService) -> None:
    body = to_bytes(batch())
    first = service.submit(body, idempotency_key="client\nk1")
    assert service.submit(body, idempotency_key="client\nk1") == first
    with pytest.raises(BatchRefused):
        service.submit(body, idempotency_key="client\nk2")  # another key: a new submission of claimed bills


def test_stored_verdicts_name_the_holder_for_later_reads(service: SettlementService) -> None:
    first = service.submit(to_bytes(batch([bill(1)])))
    _, record = refused(service, batch([bill(1)]))
    stored = orjson.loads(record.verdicts)
    assert stored[0]["claimedBy"] == first.id and stored[0]["location"] == "/bills/0"
