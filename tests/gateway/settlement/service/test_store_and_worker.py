"""The settlement store (one transaction per call, leases, AppRec compare-and-set) and the outbox
worker (backoff, give up, permanent failure, crashed claims), with a fake transport."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from gateway.bootstrap.stores import open_settlement_store
from gateway.domain.settlement_records import AppRecOutcome, DeliveryState, NewSettlement, SettlementState
from gateway.outbox.worker import OutboxWorker, RetryPolicy
from gateway.ports.settlement import SettlementStore
from gateway.primitives.clock import instant
from gateway.primitives.errors import ReceiverUnavailable, Unprocessable
from tests.database import database_url_for
from tests.gateway.settlement.service.helpers import FixedClock


class FakeTransport:
    def __init__(self, failures: list[Exception] | None = None) -> None:
        self.failures = list(failures or [])
        self.delivered: list[tuple[str, str, bytes]] = []

    def deliver(self, message_id: str, receiver_her_id: str, payload: bytes) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.delivered.append((message_id, receiver_her_id, payload))


def queued(store: SettlementStore, clock: FixedClock, n: int = 1) -> None:
    store.add(NewSettlement(f"s{n}", SettlementState.QUEUED, b"{}", b"[]", b"{}", f"m{n}", b"<x/>", "79768"),
              now=instant(clock()))


@pytest.fixture
def store(tmp_path: Path) -> SettlementStore:
    opened = open_settlement_store(database_url_for(tmp_path, "db.sqlite"))
    yield opened  # type: ignore[misc]
    opened.close()


def test_add_writes_settlement_and_outbox_together_and_survives_reopen(tmp_path: Path) -> None:
    clock = FixedClock()
    store = open_settlement_store(database_url_for(tmp_path, "db.sqlite"))
    queued(store, clock)
    store.close()
    again = open_settlement_store(database_url_for(tmp_path, "db.sqlite"))
    record = again.get("s1")
    assert record is not None and record.state is SettlementState.QUEUED and record.has_message
    assert record.delivery is not None and record.delivery.state is DeliveryState.QUEUED
    assert again.message("s1") == b"<x/>" and again.by_msg_id("m1") == record
    assert again.get("nope") is None and again.message("nope") is None
    again.close()


def test_outbox_rows_are_never_added_without_their_settlement(store: SettlementStore) -> None:
    clock = FixedClock()
    queued(store, clock)
    with pytest.raises(Exception, match=r"(?i)unique"):
        queued(store, clock)  # same id: the whole transaction rolls back
    assert len(store.claim_due(now=instant(clock()), lease_until="9999", owner="a", limit=10)) == 1


def test_a_claim_is_exclusive_until_its_lease_runs_out(store: SettlementStore) -> None:
    clock = FixedClock()
    queued(store, clock)
    now = instant(clock())
    clock.advance(60)
    lease = instant(clock())
    assert [i.attempts for i in store.claim_due(now=now, lease_until=lease, owner="a", limit=5)] == [1]
    assert store.claim_due(now=now, lease_until=lease, owner="b", limit=5) == []
    clock.advance(1)  # the first owner died; its lease has expired
    again = store.claim_due(now=instant(clock()), lease_until="9999", owner="b", limit=5)
    assert [i.attempts for i in again] == [2]
    store.mark_retry("m1", owner="a", error="late", next_attempt_at=instant(clock()), now=instant(clock()))
    record = store.get("s1")
    assert record is not None and record.delivery is not None and record.delivery.last_error is None


def test_apprec_is_recorded_once(store: SettlementStore) -> None:
    clock = FixedClock()
    queued(store, clock)
    ok = AppRecOutcome(1, ())
    record, changed = store.record_apprec("m1", ok, SettlementState.ACKNOWLEDGED, now=instant(clock()))
    assert changed and record is not None and record.state is SettlementState.ACKNOWLEDGED
    assert record.delivery is not None and record.delivery.state is DeliveryState.SENT  # receipt proves delivery
    record, changed = store.record_apprec("m1", AppRecOutcome(2, ("X",)), SettlementState.REJECTED,
                                          now=instant(clock()))
    assert not changed and record is not None and record.apprec == ok
    assert store.record_apprec("zz", ok, SettlementState.ACKNOWLEDGED, now="x") == (None, False)


def test_backoff_doubles_up_to_the_ceiling_with_jitter() -> None:
    policy = RetryPolicy(max_attempts=5, base_s=2.0, max_s=30.0)
    assert [policy.delay(n, 0.0) for n in (1, 2, 3, 4, 5, 6)] == [1.0, 2.0, 4.0, 8.0, 15.0, 15.0]
    assert policy.delay(3, 0.999) < 8.0 and policy.delay(100, 0.5) == 22.5


def test_worker_retries_with_backoff_then_delivers(store: SettlementStore) -> None:
    clock = FixedClock()
    queued(store, clock)
    transport = FakeTransport([ReceiverUnavailable("RECEIVER_UNREACHABLE", "down"),
                               ReceiverUnavailable("RECEIVER_HTTP_502", "y")])
    worker = OutboxWorker(store, transport, policy=RetryPolicy(5, 10.0, 100.0), clock=clock, jitter=lambda: 0.0)
    assert worker.run_once() == 1
    record = store.get("s1")
    assert record is not None and record.state is SettlementState.QUEUED and record.delivery is not None
    assert record.delivery.attempts == 1 and record.delivery.last_error == "RECEIVER_UNREACHABLE: down"
    assert record.last_error == "RECEIVER_UNREACHABLE: down"
    assert worker.run_once() == 0  # not due for 5 s
    clock.advance(5)
    assert worker.run_once() == 1
    clock.advance(9)
    assert worker.run_once() == 0  # second backoff is 10 s
    clock.advance(1)
    assert worker.run_once() == 1
    record = store.get("s1")
    assert record is not None and record.state is SettlementState.SENT and record.delivery is not None
    assert record.delivery.attempts == 3 and record.delivery.delivered_at == instant(clock())
    assert transport.delivered == [("m1", "79768", b"<x/>")]
    assert worker.run_once() == 0


def test_worker_gives_up_after_the_last_attempt(store: SettlementStore) -> None:
    clock = FixedClock()
    queued(store, clock)
    transport = FakeTransport([ReceiverUnavailable("RECEIVER_UNREACHABLE", "d")] * 3)
    worker = OutboxWorker(store, transport, policy=RetryPolicy(2, 1.0, 1.0), clock=clock, jitter=lambda: 0.0)
    worker.run_once()
    clock.advance(5)
    worker.run_once()
    record = store.get("s1")
    assert record is not None and record.state is SettlementState.FAILED
    assert record.last_error == "RECEIVER_UNREACHABLE: d"
    assert record.delivery is not None and record.delivery.state is DeliveryState.FAILED


def test_a_permanent_refusal_fails_at_once_and_unexpected_errors_are_retried(store: SettlementStore) -> None:
    clock = FixedClock()
    queued(store, clock, 1)
    queued(store, clock, 2)
    transport = FakeTransport([Unprocessable("TRANSPORT_REFUSED_400", "no"), RuntimeError("secret detail")])
    worker = OutboxWorker(store, transport, clock=clock, jitter=lambda: 0.0)
    assert worker.run_once() == 2
    first, second = store.get("s1"), store.get("s2")
    assert first is not None and first.state is SettlementState.FAILED
    assert first.last_error == "TRANSPORT_REFUSED_400: no"
    assert second is not None and second.state is SettlementState.QUEUED
    assert second.last_error == "INTERNAL_ERROR: RuntimeError"  # the type, never the text


def test_worker_thread_starts_delivers_and_stops(store: SettlementStore) -> None:
    clock = FixedClock()
    transport = FakeTransport()
    worker = OutboxWorker(store, transport, poll_s=0.05, clock=clock)
    worker.start()
    try:
        queued(store, clock)
        worker.wake()
        for _ in range(200):
            record = store.get("s1")
            if record is not None and record.state is SettlementState.SENT:
                break
            time.sleep(0.02)
        assert transport.delivered and worker.running
    finally:
        worker.stop(timeout_s=5)
    assert not worker.running
