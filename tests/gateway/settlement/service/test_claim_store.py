"""Bill claims in the settlement store, on the suite's engine: stored with their settlement or not at
all, refused by the unique indexes, released by a rejecting AppRec in the same transaction."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.bootstrap.stores import open_settlement_store
from gateway.domain.settlement_records import (
    AppRecOutcome,
    BillClaim,
    ClaimKind,
    ClaimsHeld,
    NewSettlement,
    SettlementState,
)
from gateway.ports.settlement import SettlementStore
from gateway.primitives.clock import instant
from tests.database import database_url_for
from tests.gateway.settlement.service.helpers import FixedClock

NOW = instant(FixedClock()())


def claim(position: int, number: str, *, kind: ClaimKind = ClaimKind.DEBIT, guid: str | None = None,
          hpr: str = "2345678") -> BillClaim:
    return BillClaim(position, kind, guid or f"guid-{number}", hpr, number)


def queue(store: SettlementStore, settlement_id: str, claims: list[BillClaim]) -> None:
    store.add(NewSettlement(settlement_id, SettlementState.QUEUED, b"{}", b"[]", b"{}", f"m-{settlement_id}", b"<x/>",
                            "79768"), now=NOW, claims=claims)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SettlementStore]:
    opened = open_settlement_store(database_url_for(tmp_path, "claims.sqlite"))
    yield opened
    opened.close()


def test_a_held_claim_refuses_the_whole_settlement_and_names_its_holder(store: SettlementStore) -> None:
    queue(store, "s1", [claim(0, "1"), claim(1, "2")])
    with pytest.raises(ClaimsHeld) as caught:
        queue(store, "s2", [claim(0, "3"), claim(1, "2", guid="another-guid"), claim(2, "4", guid="guid-1")])
    held = {(h.settlement_id, h.msg_id, h.claim.position, h.claim.bill_number) for h in caught.value.held}
    assert held == {("s1", "m-s1", 0, "1"), ("s1", "m-s1", 1, "2")}  # by GUID and by RegningNr
    assert store.get("s2") is None and store.by_msg_id("m-s2") is None  # nothing of s2, no outbox row
    assert [h.claim.bill_number for h in store.held_claims([claim(0, "3"), claim(1, "4")])] == []  # nor its claims
    queue(store, "s3", [claim(0, "3"), claim(1, "4")])


def test_the_kind_and_the_practitioner_are_part_of_the_key(store: SettlementStore) -> None:
    queue(store, "s1", [claim(0, "1")])
    queue(store, "s2", [claim(0, "1", kind=ClaimKind.CREDIT)])  # a credit of the sent bill
    queue(store, "s3", [claim(0, "1", hpr="3456789", guid="other")])  # another practitioner's number 1
    with pytest.raises(ClaimsHeld):
        queue(store, "s4", [claim(0, "1", kind=ClaimKind.CREDIT, guid="fresh")])  # a second credit


def test_held_claims_reads_by_either_key(store: SettlementStore) -> None:
    queue(store, "s1", [claim(0, "1"), claim(1, "2")])
    found = store.held_claims([claim(5, "1", guid="x"), claim(6, "9", guid="guid-2"), claim(7, "8")])
    assert sorted((h.settlement_id, h.claim.position) for h in found) == [("s1", 0), ("s1", 1)]
    assert store.held_claims([claim(0, "1", kind=ClaimKind.CREDIT, guid="y")]) == []
    assert store.held_claims([]) == []


def test_a_rejecting_receipt_releases_the_named_claims_with_it(store: SettlementStore) -> None:
    queue(store, "s1", [claim(0, "1"), claim(1, "2")])
    record, changed = store.record_apprec("m-s1", AppRecOutcome(3, ("E1",)), SettlementState.ACKNOWLEDGED_WITH_ERRORS,
                                          now=NOW, release=[1])
    assert changed and record is not None
    assert [h.claim.position for h in store.held_claims([claim(0, "1"), claim(1, "2")])] == [0]
    queue(store, "s2", [claim(0, "2")])  # the same RegningNr again, after HELFO's rejection
    # A second receipt records nothing, so it releases nothing either.
    store.record_apprec("m-s1", AppRecOutcome(2, ()), SettlementState.REJECTED, now=NOW, release=[0, 1])
    assert [h.settlement_id for h in store.held_claims([claim(0, "1"), claim(1, "2")])] == ["s1", "s2"]


def test_many_claims_in_one_settlement(store: SettlementStore) -> None:
    claims = [claim(n, str(10_000 + n)) for n in range(1500)]
    queue(store, "big", claims)
    assert len(store.held_claims(claims)) == 1500
    with pytest.raises(ClaimsHeld) as caught:
        queue(store, "late", [claim(0, "1"), claim(1, str(10_000 + 1499))])
    assert [h.claim.position for h in caught.value.held] == [1499]
