"""Receipts that say which bill: an AppRec's errors are kept whole (code, text, offending
value), put on the bills they name, and a bill HELFO rejected is free to be sent again."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.bootstrap.stores import open_settlement_store
from gateway.domain.parties import CertificateKind
from gateway.domain.settlement_records import SettlementState
from gateway.primitives.errors import Conflict
from gateway.settlement.service import SettlementService
from gateway.settlement.view import settlement_json
from tests.database import database_url_for
from tests.gateway.settlement.service.helpers import (
    FixedClock,
    apprec,
    batch,
    bill,
    enterprise_signer,
    register,
    to_bytes,
)

SYSTEM = "2.16.578.1.12.4.1.1.8221"


@pytest.fixture
def service(tmp_path: Path) -> Iterator[SettlementService]:
    store = open_settlement_store(database_url_for(tmp_path, "receipts.sqlite"))
    yield SettlementService(store, register=register(), signers={CertificateKind.ENTERPRISE: enterprise_signer()},
                            clock=FixedClock())
    store.close()


def test_an_error_naming_a_bill_rejects_that_bill_only(service: SettlementService) -> None:
    sent = service.submit(to_bytes(batch([bill(1), bill(2), bill(3)])))
    receipt = apprec(sent.msg_id or "", 3, detailed=(
        ("E21", "Takst 2ad kan ikke kombineres med takst 2cd", f"RegningNr {bill(2)['billNumber']}"),
        ("W10", "Meldingen er mottatt med merknader", None)))
    record = service.record_apprec(receipt)
    assert record.state is SettlementState.ACKNOWLEDGED_WITH_ERRORS
    view = settlement_json(record)
    assert [(b["status"], b["claim"]) for b in view["bills"]] == [
        ("accepted", "held"), ("rejected", "released"), ("accepted", "held")]
    assert view["bills"][1]["errors"] == [{"code": "E21", "text": "Takst 2ad kan ikke kombineres med takst 2cd",
                                           "value": "RegningNr 3002", "system": SYSTEM}]
    assert "errors" not in view["bills"][0]  # the message-wide remark is not about bill 1
    assert view["appRec"]["errorCodes"] == ["E21", "W10"]
    assert view["appRec"]["errors"] == [
        {"code": "E21", "text": "Takst 2ad kan ikke kombineres med takst 2cd", "value": "RegningNr 3002",
         "system": SYSTEM, "bills": ["/bills/1"]},
        {"code": "W10", "text": "Meldingen er mottatt med merknader", "value": None, "system": SYSTEM, "bills": []}]
    # The rejected bill, corrected, goes again with the same RegningNr; the accepted ones do not.
    again = service.submit(to_bytes(batch([bill(1), bill(2, patientShare="100.00")])))
    assert [(b["verdict"], b.get("code")) for b in settlement_json(again)["bills"]] == [
        ("refused", "BILL_ALREADY_CLAIMED"), ("included", None)]


def test_a_whole_rejection_tells_every_bill_why(service: SettlementService) -> None:
    sent = service.submit(to_bytes(batch([bill(1), bill(2)])))
    record = service.record_apprec(apprec(sent.msg_id or "", 2, detailed=(
        ("X01", "Ugyldig avsender", None), ("E30", "Ukjent pasient", bill(2)["guid"]))))
    bills = settlement_json(record)["bills"]
    assert [(b["status"], b["claim"]) for b in bills] == [("rejected", "released")] * 2
    assert [e["code"] for e in bills[0]["errors"]] == ["X01"]
    assert [e["code"] for e in bills[1]["errors"]] == ["X01", "E30"]


def test_before_a_receipt_each_sent_bill_shows_the_delivery(service: SettlementService) -> None:
    record = service.submit(to_bytes(batch([bill(1), bill(2, patientSharePaid=True, exemptionCode="F")])))
    bills = settlement_json(record)["bills"]
    assert (bills[0]["status"], bills[0]["claim"]) == ("queued", "held")
    assert "status" not in bills[1] and "claim" not in bills[1]  # refused by the rules: never sent


def test_a_repeated_receipt_is_compared_on_status_and_codes(service: SettlementService) -> None:
    sent = service.submit(to_bytes(batch()))
    first = service.record_apprec(apprec(sent.msg_id or "", 3, detailed=(("E21", "tekst", "3001"),)))
    assert service.record_apprec(apprec(sent.msg_id or "", 3, detailed=(("E21", "tekst", "3001"),))) == first
    with pytest.raises(Conflict) as caught:
        service.record_apprec(apprec(sent.msg_id or "", 3, detailed=(("E22", "tekst", "3001"),)))
    assert caught.value.code == "APPREC_CONFLICT"
