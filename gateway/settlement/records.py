"""What the gateway keeps of a settlement and of its delivery, and the port of the store keeping it.

States of a settlement (DESIGN.md §3, issue 3)::

    received ─► checked ─► signed ─► queued ─► sent ─► acknowledged
                   │                    │        └───► acknowledged-with-errors
                   ▼                    ▼        └───► rejected
                refused               failed

``received``, ``checked`` and ``signed`` are passed through inside one call of
:meth:`~gateway.settlement.service.SettlementService.submit`; what is written to the store is the
first state a client can observe: ``queued`` (signed, in the outbox, durable) or ``refused`` (the
rules refused the whole batch; kept so the client can read the per-bill verdicts later). The outbox
moves a queued settlement to ``sent`` or, after the last attempt or a permanent refusal by the
receiver, ``failed``; the receiver's AppRec moves a queued or sent one to ``acknowledged``
(status 1), ``rejected`` (2) or ``acknowledged-with-errors`` (3).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

__all__ = [
    "AppRecOutcome",
    "DeliveryState",
    "NewSettlement",
    "OutboxItem",
    "SettlementRecord",
    "SettlementState",
    "SettlementStore",
]


class SettlementState(StrEnum):
    RECEIVED = "received"
    CHECKED = "checked"
    SIGNED = "signed"
    QUEUED = "queued"
    SENT = "sent"
    ACKNOWLEDGED = "acknowledged"
    ACKNOWLEDGED_WITH_ERRORS = "acknowledged-with-errors"
    REJECTED = "rejected"
    FAILED = "failed"
    REFUSED = "refused"


class DeliveryState(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class AppRecOutcome:
    """The receiver's answer as recorded: status 1/2/3 and the error codes (V) of its Error elements."""

    status: int
    error_codes: tuple[str, ...]
    apprec_id: str | None = None


@dataclass(frozen=True, slots=True)
class NewSettlement:
    id: str
    state: SettlementState
    batch: bytes
    verdicts: bytes
    totals: bytes | None = None
    msg_id: str | None = None
    message: bytes | None = None
    receiver_her_id: str | None = None
    error_code: str | None = None
    request_id: str | None = None


@dataclass(frozen=True, slots=True)
class OutboxItem:
    msg_id: str
    settlement_id: str
    receiver_her_id: str
    payload: bytes
    state: DeliveryState
    attempts: int
    next_attempt_at: str | None
    leased_until: str | None
    delivered_at: str | None
    last_error: str | None
    #: The X-Request-Id of the push that queued the message (None for rows from before it was kept).
    request_id: str | None = None


@dataclass(frozen=True, slots=True)
class SettlementRecord:
    id: str
    state: SettlementState
    created: str
    updated: str
    verdicts: bytes
    totals: bytes | None
    msg_id: str | None
    receiver_her_id: str | None
    has_message: bool
    error_code: str | None
    last_error: str | None
    apprec: AppRecOutcome | None
    delivery: OutboxItem | None


class SettlementStore(Protocol):
    """Durable home of settlements and their outbox. Every method is one transaction, on disk
    before it returns. Times are UTC instants as sortable text (``YYYY-MM-DDThh:mm:ss.mmmZ``)."""

    def add(self, settlement: NewSettlement, *, now: str) -> None:
        """Store the settlement and, when it carries a signed message, its outbox row: both or neither."""
        ...

    def get(self, settlement_id: str) -> SettlementRecord | None: ...

    def by_msg_id(self, msg_id: str) -> SettlementRecord | None: ...

    def message(self, settlement_id: str) -> bytes | None:
        """The signed message exactly as stored (and sent), or None before signing."""
        ...

    def batch(self, settlement_id: str) -> bytes | None: ...

    def record_apprec(self, msg_id: str, outcome: AppRecOutcome, state: SettlementState, *,
                      now: str) -> tuple[SettlementRecord | None, bool]:
        """Record the AppRec of ``msg_id`` unless one is recorded already. Returns the record as it
        is afterwards (None: unknown msg id) and whether this call changed it."""
        ...

    def claim_due(self, *, now: str, lease_until: str, owner: str, limit: int) -> list[OutboxItem]:
        """Lease up to ``limit`` queued rows that are due and not leased by a live claim; each
        claim counts as an attempt."""
        ...

    def mark_sent(self, msg_id: str, *, owner: str, now: str) -> None: ...

    def mark_retry(self, msg_id: str, *, owner: str, error: str, next_attempt_at: str, now: str) -> None: ...

    def mark_failed(self, msg_id: str, *, owner: str, error: str, now: str) -> None: ...

    def close(self) -> None: ...
