"""What the gateway keeps of a settlement and of its delivery (the store's port is
:class:`gateway.ports.settlement.SettlementStore`).

States of a settlement::

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

Bill claims: a queued settlement holds a :class:`BillClaim` for every bill it carries,
stored with it in one transaction; a claim is live until HELFO rejects the bill (AppRec status 2,
or status 3 with an error pointing at the bill), and no two live claims share a practitioner,
RegningNr and kind, or a GUID and kind (:mod:`gateway.settlement.claims`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "AppRecOutcome",
    "BillClaim",
    "ClaimKind",
    "ClaimsHeld",
    "DeliveryState",
    "HeldClaim",
    "NewSettlement",
    "OutboxItem",
    "ReceiptError",
    "SettlementRecord",
    "SettlementState",
    "SignedMessage",
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
class ReceiptError:
    """One ``Error`` of an AppRec as recorded: code (V), HELFO's text (DN), the offending value as
    sent (OT), the code table (S), and the positions (index in the batch) of the bills it points at."""

    code: str | None
    text: str | None = None
    value: str | None = None
    system: str | None = None
    bills: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class AppRecOutcome:
    """The receiver's answer as recorded: status 1/2/3, the error codes (V) of its Error elements
    (what a repeated receipt is compared on) and every error in full."""

    status: int
    error_codes: tuple[str, ...]
    apprec_id: str | None = None
    errors: tuple[ReceiptError, ...] = ()


class ClaimKind(StrEnum):
    DEBIT = "debit"
    #: ``Kreditering`` true: reverses a sent bill, once.
    CREDIT = "credit"


@dataclass(frozen=True, slots=True)
class BillClaim:
    """A settlement's claim on one bill. ``guid`` is normalised (no braces, lower case)."""

    position: int
    kind: ClaimKind
    guid: str
    hpr: str
    bill_number: str


@dataclass(frozen=True, slots=True)
class HeldClaim:
    """A live claim of a stored settlement."""

    claim: BillClaim
    settlement_id: str
    msg_id: str | None


class ClaimsHeld(Exception):
    """:meth:`SettlementStore.add` found some of its claims held by live claims: nothing was stored.
    ``held`` are the holders of the claims that could not be made (it may be empty when the holder
    was released in the meantime; trying again is then enough)."""

    def __init__(self, held: tuple[HeldClaim, ...]) -> None:
        super().__init__(f"{len(held)} bill claim(s) already held")
        self.held = held


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


@dataclass(frozen=True, slots=True)
class SignedMessage:
    msg_id: str
    receiver_her_id: str
    sender_her_id: str
    signed_at: dt.datetime
    xml: bytes
