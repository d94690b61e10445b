"""One audit row: what is recorded about an action, and the bytes its chain hash is computed over.

Recorded: when, which client (and the tenants it is bound to), which action, on which resource or
message, the SHA-256 of the message or resource body, the outcome as an HTTP status code, the
request id, and a small ``detail`` object (search parameter *names*, result counts, certificate
subject/serial, delivery attempt). Never recorded: message or resource bodies, search parameter
values (a value can be a personnummer or fødselsnummer, and a hash of one is no protection: the
space of valid numbers is small enough to hash it all), tokens, keys, passwords or PINs.

Each stored row carries ``seq`` (1, 2, 3 … without gaps), ``prev_hash`` (the previous row's
``hash``; 64 zeros for the first) and ``hash`` = SHA-256 of the canonical JSON array of every
other column (:func:`row_hash`), so an edited, removed or inserted row breaks the chain.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

import orjson

__all__ = [
    "ANONYMOUS",
    "COLUMNS",
    "GENESIS",
    "OUTBOX",
    "Action",
    "Actor",
    "AuditEntry",
    "AuditRow",
    "make_entry",
    "now_instant",
    "row_hash",
    "sha256_hex",
]

#: ``prev_hash`` of the first row.
GENESIS: Final = "0" * 64

#: Stored columns, in the order of the hash material and of every SELECT.
COLUMNS: Final = ("seq", "at", "client_id", "tenants", "action", "resource_type", "resource_id", "message_id",
                  "body_sha256", "status", "request_id", "detail", "prev_hash", "hash")


class Action(StrEnum):
    BOOKING_PUSH = "booking.push"
    PREVIEW_RUN = "preview.run"
    FHIR_READ = "fhir.read"
    FHIR_VREAD = "fhir.vread"
    FHIR_SEARCH = "fhir.search"
    FHIR_OPERATION = "fhir.operation"        # ConceptMap $translate
    BILLS_READ = "bills.read"                # GET /group-appointments/{id}/bills (FNRs inside)
    REPORT_READ = "report.read"
    SETTLEMENT_SUBMIT = "settlement.submit"
    SETTLEMENT_READ = "settlement.read"
    SETTLEMENT_MESSAGE_READ = "settlement.message.read"
    SETTLEMENT_SIGN = "settlement.sign"
    SETTLEMENT_SEND = "settlement.send"
    APPREC_RECEIVE = "apprec.receive"
    AUDIT_READ = "audit.read"
    AUDIT_EXPORT = "audit.export"
    # account.create / account.read / account.list / account.update / account.delete: see gateway.api.audit_middleware


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts: a client id, the tenants it is bound to (sorted), the request id if there is one."""

    client_id: str
    tenants: tuple[str, ...] = ()
    request_id: str | None = None


ANONYMOUS: Final = Actor("anonymous")
#: The delivery worker has no principal; its rows name it.
OUTBOX: Final = Actor("system:outbox")


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """A row before it is chained. ``tenants`` and ``detail`` are already canonical JSON text."""

    at: str
    client_id: str
    tenants: str
    action: str
    status: int
    resource_type: str | None
    resource_id: str | None
    message_id: str | None
    body_sha256: str | None
    request_id: str | None
    detail: str

    def material(self, seq: int, prev_hash: str) -> tuple[Any, ...]:
        """The row's column values without ``hash``, in :data:`COLUMNS` order."""
        return (seq, self.at, self.client_id, self.tenants, self.action, self.resource_type, self.resource_id,
                self.message_id, self.body_sha256, self.status, self.request_id, self.detail, prev_hash)


@dataclass(frozen=True, slots=True)
class AuditRow:
    """A stored row (all of :data:`COLUMNS`)."""

    seq: int
    at: str
    client_id: str
    tenants: str
    action: str
    resource_type: str | None
    resource_id: str | None
    message_id: str | None
    body_sha256: str | None
    status: int
    request_id: str | None
    detail: str
    prev_hash: str
    hash: str

    @classmethod
    def of(cls, values: Iterable[Any]) -> AuditRow:
        return cls(*values)

    def material(self) -> tuple[Any, ...]:
        return (self.seq, self.at, self.client_id, self.tenants, self.action, self.resource_type, self.resource_id,
                self.message_id, self.body_sha256, self.status, self.request_id, self.detail, self.prev_hash)

    def to_json(self) -> dict[str, Any]:
        """The row as the API and the export show it (tenants and detail decoded)."""
        return {"seq": self.seq, "at": self.at, "client": self.client_id, "tenants": orjson.loads(self.tenants),
                "action": self.action, "resourceType": self.resource_type, "resourceId": self.resource_id,
                "messageId": self.message_id, "bodySha256": self.body_sha256, "status": self.status,
                "requestId": self.request_id, "detail": orjson.loads(self.detail), "prevHash": self.prev_hash,
                "hash": self.hash}


def row_hash(material: tuple[Any, ...]) -> str:
    """SHA-256 of the canonical JSON array of a row's values (compact, UTF-8, fixed order)."""
    return hashlib.sha256(orjson.dumps(material)).hexdigest()


def sha256_hex(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def now_instant() -> str:
    """UTC with milliseconds, sortable as text: the stores' instant format."""
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def make_entry(actor: Actor, action: str, status: int, *, resource_type: str | None = None,
               resource_id: str | None = None, message_id: str | None = None, body_sha256: str | None = None,
               detail: Mapping[str, Any] | None = None, at: str | None = None) -> AuditEntry:
    return AuditEntry(at or now_instant(), actor.client_id, orjson.dumps(sorted(actor.tenants)).decode(), str(action),
                      int(status), resource_type, resource_id, message_id, body_sha256, actor.request_id,
                      orjson.dumps(dict(detail or {}), option=orjson.OPT_SORT_KEYS).decode())
