"""A slow receiver must not make two outbox workers deliver the same message.

A worker claims up to a batch of messages with one lease and delivers them one by one. When the
receiver is slow (each delivery up to the transport timeout), the lease can run out before the last
messages of the batch are reached; another worker (another gateway process on the same PostgreSQL
database, or the next process after a restart) may then claim them. The first worker must not
deliver a message whose lease it no longer holds."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.bootstrap.stores import open_settlement_store
from gateway.domain.settlement_records import NewSettlement, SettlementState
from gateway.outbox.worker import OutboxWorker, RetryPolicy
from gateway.ports.settlement import SettlementStore
from gateway.primitives.clock import instant
from tests.database import database_url_for
from tests.gateway.settlement.service.helpers import FixedClock


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SettlementStore]:
    opened = open_settlement_store(database_url_for(tmp_path, "lease.sqlite"))
    yield opened
    opened.close()


class SlowTransport:
    """Each delivery takes ``spend_s`` on the shared clock; during the ``pause_on``-th delivery another
    worker gets its turn (a second process polling meanwhile)."""

    def __init__(self, clock: FixedClock, spend_s: float) -> None:
        self.clock = clock
        self.spend_s = spend_s
        self.delivered: Counter[str] = Counter()
        self.meanwhile: OutboxWorker | None = None
        self.pause_on = 2

    def deliver(self, message_id: str, receiver_her_id: str, payload: bytes) -> None:
        self.clock.advance(self.spend_s)
        self.delivered[message_id] += 1
        if sum(self.delivered.values()) == self.pause_on and self.meanwhile is not None:
            other, self.meanwhile = self.meanwhile, None
            other.run_once()


def test_each_delivery_has_a_whole_lease_so_no_message_is_delivered_twice(store: SettlementStore) -> None:
    clock = FixedClock()
    for n in range(1, 5):
        store.add(NewSettlement(f"s{n}", SettlementState.QUEUED, b"{}", b"[]", msg_id=f"m{n}", message=b"<x/>",
                                receiver_her_id="79768"), now=instant(clock()))
    transport = SlowTransport(clock, spend_s=6.0)  # a lease of 10 s covers one delivery, not two
    first = OutboxWorker(store, transport, lease_s=10.0, clock=clock, policy=RetryPolicy(10, 1.0, 1.0))
    # The other process polls once while the first is delivering its second message (one message a
    # round, so that no delivery of the first outlasts a lease: that needs a timeout above the lease).
    second = OutboxWorker(store, transport, lease_s=10.0, clock=clock, policy=RetryPolicy(10, 1.0, 1.0),
                          batch_size=1)
    transport.meanwhile = second

    first.run_once()
    while second.run_once() or first.run_once():
        pass

    assert transport.delivered == {"m1": 1, "m2": 1, "m3": 1, "m4": 1}
    for n in range(1, 5):
        record = store.get(f"s{n}")
        assert record is not None and record.state is SettlementState.SENT
