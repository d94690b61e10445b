"""The PostgreSQL outbox under several workers: each message claimed by one worker at a time, a dead
worker's lease taken over when it runs out, and every message delivered exactly once.

Each worker has its own store (own pool), as separate processes would. Skipped unless
NORDGATE_TEST_DATABASE_URL names a PostgreSQL server.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest

from gateway.bootstrap.stores import open_settlement_store
from gateway.domain.settlement_records import NewSettlement, SettlementState
from gateway.outbox.worker import OutboxWorker
from gateway.ports.settlement import SettlementStore
from gateway.primitives.clock import instant
from gateway.primitives.database_url import parse_database_url
from tests.gateway.settlement.service.helpers import FixedClock

pytestmark = pytest.mark.postgres


class CountingTransport:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.deliveries: Counter[str] = Counter()

    def deliver(self, message_id: str, receiver_her_id: str, payload: bytes) -> None:
        with self.lock:
            self.deliveries[message_id] += 1


@pytest.fixture
def stores(postgres_url: str) -> Iterator[list[SettlementStore]]:
    opened = [open_settlement_store(postgres_url) for _ in range(3)]
    yield opened
    for store in opened:
        store.close()


def queue(store: SettlementStore, clock: FixedClock, count: int) -> list[str]:
    for n in range(count):
        store.add(NewSettlement(f"s{n}", SettlementState.QUEUED, b"{}", b"[]", b"{}", f"m{n:03d}", b"<x/>", "79768"),
                  now=instant(clock()))
    return [f"m{n:03d}" for n in range(count)]


def test_two_workers_claiming_at_once_get_disjoint_messages(stores: list[SettlementStore]) -> None:
    clock = FixedClock()
    ids = queue(stores[0], clock, 40)
    now, lease = instant(clock()), instant(clock.now.replace(year=2099))
    barrier = threading.Barrier(2)

    def claim_all(index: int) -> list[str]:
        barrier.wait(timeout=10)
        claimed: list[str] = []
        while batch := stores[index].claim_due(now=now, lease_until=lease, owner=f"w{index}", limit=3):
            claimed += [item.msg_id for item in batch]
        return claimed

    with ThreadPoolExecutor(2) as pool:
        first, second = pool.map(claim_all, range(2))
    assert not set(first) & set(second)
    assert sorted(first + second) == ids


def test_rows_locked_by_a_claim_in_progress_are_skipped_not_waited_for(
        stores: list[SettlementStore], postgres_url: str) -> None:
    clock = FixedClock()
    queue(stores[0], clock, 4)
    with psycopg.connect(parse_database_url(postgres_url).conninfo) as other, other.transaction():
        # Another worker's claim, not yet committed, holds the two oldest rows.
        other.execute("SELECT msg_id FROM outbox WHERE msg_id IN ('m000', 'm001') FOR UPDATE")
        claimed = stores[1].claim_due(now=instant(clock()), lease_until="9999", owner="b", limit=10)
        assert [item.msg_id for item in claimed] == ["m002", "m003"]


def test_a_dead_workers_lease_is_taken_over_when_it_runs_out(stores: list[SettlementStore]) -> None:
    clock = FixedClock()
    queue(stores[0], clock, 1)
    transport = CountingTransport()
    # Worker a claims and dies before delivering (it never calls the transport).
    [claimed] = stores[0].claim_due(now=instant(clock()), lease_until=instant(clock.now.replace(minute=2)),
                                    owner="dead", limit=5)
    assert claimed.attempts == 1
    survivor = OutboxWorker(stores[1], transport, lease_s=60, clock=clock)
    clock.advance(90)  # 10:01:30, the dead worker's lease runs to 10:02
    assert survivor.run_once() == 0 and not transport.deliveries
    clock.advance(31)
    assert survivor.run_once() == 1
    assert transport.deliveries == Counter({"m000": 1})
    record = stores[2].get("s0")
    assert record is not None and record.state is SettlementState.SENT and record.delivery is not None
    assert record.delivery.attempts == 2
    # The dead worker, back from the dead, cannot undo it.
    stores[0].mark_retry("m000", owner="dead", error="late", next_attempt_at=instant(clock()), now=instant(clock()))
    assert stores[2].get("s0") == record


def test_three_workers_deliver_every_message_exactly_once(stores: list[SettlementStore]) -> None:
    clock = FixedClock()
    ids = queue(stores[0], clock, 60)
    transport = CountingTransport()
    workers = [OutboxWorker(store, transport, batch_size=4, clock=clock) for store in stores]
    barrier = threading.Barrier(len(workers))

    def drain(worker: OutboxWorker) -> int:
        barrier.wait(timeout=10)
        total = 0
        while tried := worker.run_once():
            total += tried
        return total

    with ThreadPoolExecutor(len(workers)) as pool:
        tried = list(pool.map(drain, workers))
    assert sum(tried) == 60
    assert transport.deliveries == Counter(dict.fromkeys(ids, 1))
    assert all(stores[0].get(f"s{n}").state is SettlementState.SENT for n in range(60))  # type: ignore[union-attr]
