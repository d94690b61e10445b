"""The outbox worker: a background thread that delivers queued messages through a Transport.

Each round it claims due rows with a lease (``leased_until``), so a row claimed by a process that
then died is claimed again once the lease runs out, and delivers them one by one:

- delivered → ``sent`` (outbox row and settlement);
- :class:`~gateway.primitives.errors.TransientError` (receiver down) or an unexpected error → tried again
  after an exponential backoff with jitter; ``attempts``, ``next_attempt_at`` and ``last_error`` are
  visible in ``GET /settlements/{id}``; after ``max_attempts`` attempts → ``failed``;
- any other :class:`~gateway.primitives.errors.NordgateError` (the receiver refuses the message for good) →
  ``failed`` at once.

A claim counts as an attempt, so a message that crashes the process every time still ends.
Exactly-once delivery per message id rests on the transports being idempotent per message id: a
crash between delivering and recording ``sent`` leads to one repeated delivery, which the receiver
recognises (HTTP 409, or the same file replaced).
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from gateway.audit.events import record_delivery
from gateway.audit.recorder import AuditRecorder
from gateway.domain.settlement_records import OutboxItem
from gateway.ports.outbound import Transport
from gateway.ports.settlement import SettlementStore
from gateway.primitives.clock import instant
from gateway.primitives.errors import NordgateError, TransientError
from gateway.primitives.request_id import bound_request_id

__all__ = ["OutboxWorker", "RetryPolicy"]

_log = logging.getLogger("nordgate.outbox")
Clock = Callable[[], dt.datetime]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 10
    base_s: float = 2.0
    max_s: float = 900.0

    def delay(self, attempt: int, jitter: float) -> float:
        """Seconds before the attempt after ``attempt`` (1-based): the ceiling doubles from
        ``base_s`` up to ``max_s``; half of it is fixed, half is ``jitter`` (0 ≤ jitter < 1), so
        many messages failing together do not all come back at the same moment."""
        ceiling = min(self.max_s, self.base_s * 2.0 ** min(attempt - 1, 60))
        return ceiling / 2 + ceiling / 2 * jitter


class OutboxWorker:
    def __init__(self, store: SettlementStore, transport: Transport, *, policy: RetryPolicy = RetryPolicy(),
                 poll_s: float = 1.0, lease_s: float = 120.0, batch_size: int = 16, clock: Clock = _now,
                 jitter: Callable[[], float] = random.random,
                 on_delivery: Callable[[str], None] | None = None, audit: AuditRecorder | None = None) -> None:
        self._store = store
        self._audit = audit  # one settlement.send row per attempt, by system:outbox
        # Told "sent", "retry" or "failed" after each attempt (the delivery metrics).
        self._on_delivery = on_delivery
        self._transport = transport
        self._policy = policy
        self._poll_s = poll_s
        self._lease = dt.timedelta(seconds=lease_s)
        self._batch_size = batch_size
        self._clock = clock
        self._jitter = jitter
        self._owner = uuid.uuid4().hex
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="nordgate-outbox", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Look for due work now instead of at the next poll (called after a submit)."""
        self._wake.set()

    def stop(self, timeout_s: float = 30.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout_s)
            self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def run_once(self) -> int:
        """Claim and deliver what is due now, up to ``batch_size`` messages; returns how many were tried.

        One message is claimed at a time, right before it is delivered: each delivery gets a whole
        lease. (Claiming a batch under one lease let a slow receiver run the lease out before the
        last messages were reached; another process then claimed and delivered them too.)"""
        tried = 0
        while tried < self._batch_size and not self._stop.is_set():
            now = self._clock()
            claimed = self._store.claim_due(now=instant(now), lease_until=instant(now + self._lease),
                                            owner=self._owner, limit=1)
            if not claimed:
                break
            item = claimed[0]
            tried += 1
            # The request id of the push that queued the message: every log line of this delivery
            # carries it, so one id leads from the client's POST to the receiver.
            with bound_request_id(item.request_id):
                self._deliver(item)
        return tried

    def _deliver(self, item: OutboxItem) -> None:
        outcome = "retry"
        try:
            self._transport.deliver(item.msg_id, item.receiver_her_id, item.payload)
        except TransientError as exc:
            self._retry_or_fail(item, f"{exc.code}: {exc.message}")
        except NordgateError as exc:
            _log.warning("message %s refused by receiver %s: %s", item.msg_id, item.receiver_her_id, exc.code)
            self._store.mark_failed(item.msg_id, owner=self._owner, error=f"{exc.code}: {exc.message}",
                                    now=instant(self._clock()))
            outcome = "failed"
        except Exception as exc:  # a bug or an unexpected library error: keep the message, try later
            _log.exception("delivering message %s failed unexpectedly", item.msg_id)
            self._retry_or_fail(item, f"INTERNAL_ERROR: {type(exc).__name__}")
        else:
            self._store.mark_sent(item.msg_id, owner=self._owner, now=instant(self._clock()))
            outcome = "sent"
            _log.info("message %s delivered to %s (attempt %d)", item.msg_id, item.receiver_her_id, item.attempts,
                      extra={"msg_id": item.msg_id, "her_id": item.receiver_her_id, "attempt": item.attempts})
        if outcome == "retry" and item.attempts >= self._policy.max_attempts:
            outcome = "failed"  # _retry_or_fail gave up
        if self._on_delivery is not None:
            self._on_delivery(outcome)
        if self._audit is not None:
            record_delivery(self._audit, item, outcome)

    def _retry_or_fail(self, item: OutboxItem, error: str) -> None:
        now = self._clock()
        if item.attempts >= self._policy.max_attempts:
            _log.warning("message %s given up after %d attempts: %s", item.msg_id, item.attempts, error)
            self._store.mark_failed(item.msg_id, owner=self._owner, error=error, now=instant(now))
            return
        _log.info("message %s to %s not delivered (attempt %d), trying again: %s", item.msg_id,
                  item.receiver_her_id, item.attempts, error.split(":", 1)[0])
        delay = dt.timedelta(seconds=self._policy.delay(item.attempts, self._jitter()))
        self._store.mark_retry(item.msg_id, owner=self._owner, error=error, next_attempt_at=instant(now + delay),
                               now=instant(now))

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                tried = self.run_once()
            except Exception:  # e.g. the database is locked for longer than its timeout
                _log.exception("outbox round failed")
                tried = 0
            if tried == 0 and not self._stop.is_set():
                self._wake.wait(self._poll_s)
                self._wake.clear()
