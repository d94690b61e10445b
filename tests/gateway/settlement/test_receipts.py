"""Which bills an AppRec error names (gateway/settlement/receipts.py): by GUID, by RegningNr, by
position; never by HELFO's free text, never a RegningNr two bills share."""

from __future__ import annotations

import orjson
import pytest

from adapters.outbound.apprec import parse_apprec
from gateway.domain.settlement_records import AppRecOutcome, ReceiptError
from gateway.settlement.receipts import SentBill, bills_named, outcome_of, rejected_positions, sent_bills
from tests.gateway.settlement.service.helpers import apprec

GUID_A = "0b7e5c1e-2222-4c4c-8a8a-000000000001"
GUID_C = "0b7e5c1e-2222-4c4c-8a8a-000000000003"
# Positions 0 and 2 went into the message; position 1 was refused and never sent.
SENT = (SentBill(0, GUID_A, "3001"), SentBill(2, GUID_C, "3003"))


@pytest.mark.parametrize(("value", "named"), [
    (GUID_C, (2,)),
    ("{" + GUID_C.upper() + "}", (2,)),
    (f"Regning med GUID {GUID_A} mangler takst", (0,)),
    ("3003", (2,)),
    (" 3001 ", (0,)),
    ("RegningNr 3003", (2,)),
    ("regningsnummer: 3001", (0,)),
    ("RegningNr=3001; RegningNr=3003", (0, 2)),
    ("/MsgHead/Document/RefDoc/Content/Behandlerkrav/Regning[2]/Takst", (2,)),
    ("Regning[1]", (0,)),
    ("Regning[3]", ()),  # the message carried two bills
    ("3002", ()),  # a bill the message did not carry
    ("2ad", ()),
    ("", ()),
    (None, ()),
])
def test_an_error_names_the_bills_its_offending_value_holds(value: str | None, named: tuple[int, ...]) -> None:
    assert bills_named(value, SENT) == named


def test_a_number_two_sent_bills_share_names_neither() -> None:
    shared = (SentBill(0, GUID_A, "3001"), SentBill(1, GUID_C, "3001"))  # two practitioners, one number
    assert bills_named("3001", shared) == ()
    assert bills_named(GUID_C, shared) == (1,)


def test_sent_bills_are_the_included_ones_in_message_order() -> None:
    verdicts = orjson.dumps([{"guid": "{" + GUID_A.upper() + "}", "billNumber": "3001", "verdict": "included"},
                             {"guid": "x", "billNumber": "3002", "verdict": "refused"},
                             {"guid": GUID_C, "billNumber": "3003", "verdict": "included"}])
    assert sent_bills(verdicts) == SENT


def test_the_outcome_keeps_code_text_and_offending_value() -> None:
    body = apprec("m1", 3, detailed=(("E21", "Ugyldig takstkode for regningen", "RegningNr 3003"),
                                     ("W02", "Meldingen har advarsler", None)))
    outcome = outcome_of(parse_apprec(body), SENT)
    assert outcome.status == 3 and outcome.error_codes == ("E21", "W02")
    assert outcome.errors == (
        ReceiptError("E21", "Ugyldig takstkode for regningen", "RegningNr 3003", "2.16.578.1.12.4.1.1.8221", (2,)),
        ReceiptError("W02", "Meldingen har advarsler", None, "2.16.578.1.12.4.1.1.8221", ()))
    assert outcome.apprec_id is not None


def test_the_text_of_an_error_is_not_searched_for_bills() -> None:
    outcome = outcome_of(parse_apprec(apprec("m1", 3, detailed=(("E1", f"Regning {GUID_A} avvist", None),))), SENT)
    assert outcome.errors[0].bills == ()


@pytest.mark.parametrize(("status", "bills", "rejected"), [
    (1, (), ()),
    (2, (), (0, 2)),  # the whole message: every bill it carried
    (3, (2,), (2,)),  # OK with errors: the bills named
    (3, (), ()),
])
def test_what_helfo_rejected(status: int, bills: tuple[int, ...], rejected: tuple[int, ...]) -> None:
    outcome = AppRecOutcome(status, ("E",), None, (ReceiptError("E", bills=bills),))
    assert rejected_positions(outcome, SENT) == rejected
