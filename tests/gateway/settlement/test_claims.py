"""The claim rule as pure functions (gateway/settlement/claims.py): which claims a plan makes, which
of them are already held, and what is left of the plan without them."""

from __future__ import annotations

from decimal import Decimal

from gateway.domain.settlement import SettlementPlan, Verdict
from gateway.domain.settlement_records import BillClaim, ClaimKind, HeldClaim
from gateway.settlement.claims import PlanRefused, claims_of, narrowed, refusals
from gateway.settlement.rules import check
from tests.gateway.settlement.factories import SIGNER, batch_dict, bill, parse


def plan_of(*bills: dict[str, object], **overrides: object) -> SettlementPlan:
    return check(parse(batch_dict(bills=list(bills), **overrides)))


def test_each_included_bill_is_claimed_at_its_position_by_kind() -> None:
    plan = plan_of(bill(1, guid="{ABCDEF01-0000-4000-8000-000000000001}"), bill(2, patientSharePaid=True,
                   exemptionCode="F"), bill(3, credit=True))
    assert claims_of(plan) == (
        BillClaim(0, ClaimKind.DEBIT, "abcdef01-0000-4000-8000-000000000001", SIGNER, "1"),
        BillClaim(2, ClaimKind.CREDIT, "00000000-0000-4000-8000-000000000003", SIGNER, "3"))


def test_a_holder_sharing_either_key_and_the_kind_refuses_the_claim() -> None:
    mine = [BillClaim(0, ClaimKind.DEBIT, "g1", "1", "10"), BillClaim(1, ClaimKind.DEBIT, "g2", "1", "11"),
            BillClaim(2, ClaimKind.CREDIT, "g3", "1", "12"), BillClaim(3, ClaimKind.DEBIT, "g4", "2", "10")]
    held = [HeldClaim(BillClaim(7, ClaimKind.DEBIT, "other", "1", "10"), "s-old", "m-old"),  # RegningNr of 0
            HeldClaim(BillClaim(0, ClaimKind.DEBIT, "g2", "9", "99"), "s-old", "m-old"),  # GUID of 1
            HeldClaim(BillClaim(0, ClaimKind.DEBIT, "g3", "1", "12"), "s-old", None)]  # a debit, not a credit
    found = refusals(mine, held, settlement_id="s-new")
    assert sorted(found) == [0, 1]
    assert found[0].settlement_id == "s-old" and "s-old (MsgId m-old)" in found[0].reason


def test_the_batchs_own_rows_are_no_holder_but_a_repeat_inside_it_is() -> None:
    mine = [BillClaim(0, ClaimKind.DEBIT, "g1", "1", "10"), BillClaim(1, ClaimKind.DEBIT, "g2", "1", "10")]
    own = [HeldClaim(mine[0], "s-new", "m-new")]
    found = refusals(mine, own, settlement_id="s-new")
    assert list(found) == [1] and found[1].settlement_id is None and "/bills/0 of this same batch" in found[1].reason


def test_narrowing_refuses_the_claimed_bills_and_totals_the_rest() -> None:
    plan = plan_of(bill(1), bill(2), bill(3))
    [first, *_] = claims_of(plan)
    narrow = narrowed(plan, refusals(claims_of(plan), [HeldClaim(first, "s-old", None)], settlement_id="s-new"))
    assert isinstance(narrow, SettlementPlan)
    assert [(v.verdict, v.code, v.refund) for v in narrow.verdicts] == [
        (Verdict.REFUSED, "BILL_ALREADY_CLAIMED", None), (Verdict.INCLUDED, None, Decimal("20.00")),
        (Verdict.INCLUDED, None, Decimal("20.00"))]
    assert [p.bill.index for p in narrow.included] == [1, 2]
    assert (narrow.totals.bill_count, narrow.totals.sum_claimed) == (2, Decimal("40.00"))
    assert narrowed(plan, {}) is plan


def test_nothing_left_is_an_empty_batch_with_every_verdict() -> None:
    plan = plan_of(bill(1), bill(2), droppedBills=[bill(2)["guid"]])
    held = [HeldClaim(c, "s-old", None) for c in claims_of(plan)]
    refused = narrowed(plan, refusals(claims_of(plan), held, settlement_id="s-new"))
    assert isinstance(refused, PlanRefused) and refused.code == "BATCH_EMPTY"
    assert [i.code for i in refused.issues] == ["BILL_ALREADY_CLAIMED", "BILL_DROPPED"]
    assert [v.verdict for v in refused.verdicts] == [Verdict.REFUSED, Verdict.DROPPED]


def test_all_or_nothing_refuses_for_one_claimed_bill() -> None:
    plan = plan_of(bill(1), bill(2), allOrNothing=True)
    held = [HeldClaim(claims_of(plan)[1], "s-old", None)]
    refused = narrowed(plan, refusals(claims_of(plan), held, settlement_id="s-new"))
    assert isinstance(refused, PlanRefused) and refused.code == "BATCH_REFUSED_ALL_OR_NOTHING"
    assert [i.location for i in refused.issues] == ["/bills/1"]
    assert [v.verdict for v in refused.verdicts] == [Verdict.INCLUDED, Verdict.REFUSED]
