"""The port of the settlement store (SQLite and PostgreSQL implementations in ``gateway/store/settlement``)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Protocol

from gateway.domain.settlement_records import (
    AppRecOutcome,
    BillClaim,
    HeldClaim,
    NewSettlement,
    OutboxItem,
    SettlementRecord,
    SettlementState,
)

__all__ = ["SettlementStore"]


class SettlementStore(Protocol):
    """Durable home of settlements and their outbox. Every method is one transaction, on disk
    before it returns. Times are UTC instants as sortable text (``YYYY-MM-DDThh:mm:ss.mmmZ``)."""

    def add(self, settlement: NewSettlement, *, now: str, claims: Sequence[BillClaim] = ()) -> None:
        """Store the settlement and, when it carries a signed message, its outbox row and ``claims``:
        all or nothing. Raises :class:`ClaimsHeld` (and stores nothing) when a claim is already held
        by a live claim; the unique indexes decide, also between processes."""
        ...

    def held_claims(self, claims: Sequence[BillClaim]) -> list[HeldClaim]:
        """Live claims that share a key (practitioner, RegningNr and kind; or GUID and kind) with
        one of ``claims``. A read, to spare a signing that :meth:`add` would refuse; not a guarantee."""
        ...

    def get(self, settlement_id: str) -> SettlementRecord | None: ...

    def by_msg_id(self, msg_id: str) -> SettlementRecord | None: ...

    def message(self, settlement_id: str) -> bytes | None:
        """The signed message exactly as stored (and sent), or None before signing."""
        ...

    def batch(self, settlement_id: str) -> bytes | None: ...

    def record_apprec(self, msg_id: str, outcome: AppRecOutcome, state: SettlementState, *,
                      now: str, release: Collection[int] = ()) -> tuple[SettlementRecord | None, bool]:
        """Record the AppRec of ``msg_id`` unless one is recorded already, and in the same
        transaction release the claims of the bills at positions ``release`` (the ones HELFO
        rejected). Returns the record as it is afterwards (None: unknown msg id) and whether this
        call changed it."""
        ...

    def claim_due(self, *, now: str, lease_until: str, owner: str, limit: int) -> list[OutboxItem]:
        """Lease up to ``limit`` queued rows that are due and not leased by a live claim; each
        claim counts as an attempt."""
        ...

    def mark_sent(self, msg_id: str, *, owner: str, now: str) -> None: ...

    def mark_retry(self, msg_id: str, *, owner: str, error: str, next_attempt_at: str, now: str) -> None: ...

    def mark_failed(self, msg_id: str, *, owner: str, error: str, now: str) -> None: ...

    def close(self) -> None: ...
