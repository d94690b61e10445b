"""The audit log port: append, query, export, verify. Implemented for SQLite and PostgreSQL.

Rows are only ever inserted: neither implementation has an update or delete method, and the
table refuses both (triggers, revision 0004).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from gateway.domain.audit import AuditEntry, AuditRow
from gateway.domain.audit_chain import ChainReport

__all__ = ["AuditLog", "AuditPage", "AuditQuery"]


@dataclass(frozen=True, slots=True)
class AuditQuery:
    """Filters, all optional. ``since`` inclusive, ``until`` exclusive (UTC instants as stored);
    ``action`` ending in ``.*`` is a prefix (``account.*``); ``resource`` is ``Type/id``, an id or a
    message id; ``tenants`` None means every row, otherwise rows recorded for one of these tenants."""

    client: str | None = None
    action: str | None = None
    since: str | None = None
    until: str | None = None
    resource: str | None = None
    tenants: frozenset[str] | None = None
    count: int = 100
    offset: int = 0


@dataclass(frozen=True, slots=True)
class AuditPage:
    rows: list[AuditRow]
    total: int


class AuditLog(Protocol):
    def append(self, entries: Sequence[AuditEntry]) -> None:
        """Chain and store ``entries`` in one transaction, durable when it returns."""
        ...

    def query(self, query: AuditQuery) -> AuditPage:
        """One page in ``seq`` order, with the number of matching rows."""
        ...

    def export(self, query: AuditQuery, *, chunk: int = 1000) -> Iterator[AuditRow]:
        """Every matching row in ``seq`` order (``count``/``offset`` ignored), read ``chunk`` rows
        at a time so that a large range never sits in memory."""
        ...

    def head(self) -> tuple[int, str] | None:
        """``(seq, hash)`` of the last row; None for an empty trail."""
        ...

    def verify(self) -> ChainReport: ...

    def close(self) -> None: ...
