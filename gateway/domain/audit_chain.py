"""The hash chain: linking new rows onto the stored head, and verifying a stored chain.

Verification walks the rows in ``seq`` order and checks that ``seq`` starts at 1 and has no gaps,
that each ``prev_hash`` is the previous row's ``hash`` (the first one :data:`GENESIS`), and that each
``hash`` is the hash of the row's values. An edited row fails the last check, a removed row the
first or second, an inserted one the second. What a chain cannot show alone is rows cut off at its
end: :class:`ChainReport` names the head (``seq`` and ``hash``) so an operator can keep it elsewhere
(a ticket, a log) and compare later (``nordgate audit verify --expect-head``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from gateway.domain.audit import GENESIS, AuditEntry, AuditRow, row_hash

__all__ = ["ChainReport", "link", "verify"]

_MAX_PROBLEMS = 20


def link(entries: Sequence[AuditEntry], head: tuple[int, str] | None) -> list[tuple[Any, ...]]:
    """Rows (all columns, :data:`~gateway.domain.audit.COLUMNS` order) for ``entries`` after ``head``
    (the last stored ``(seq, hash)``, None for an empty log)."""
    seq, previous = head if head is not None else (0, GENESIS)
    rows: list[tuple[Any, ...]] = []
    for entry in entries:
        seq += 1
        material = entry.material(seq, previous)
        previous = row_hash(material)
        rows.append((*material, previous))
    return rows


@dataclass
class ChainReport:
    rows: int = 0
    head_seq: int = 0
    head_hash: str = GENESIS
    problems: list[str] = field(default_factory=list)
    #: The first row at which the chain is broken (None: intact).
    first_bad_seq: int | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def _problem(self, seq: int, text: str) -> None:
        if self.first_bad_seq is None:
            self.first_bad_seq = seq
        if len(self.problems) < _MAX_PROBLEMS:
            self.problems.append(text)

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "rows": self.rows, "headSeq": self.head_seq, "headHash": self.head_hash,
                "firstBadSeq": self.first_bad_seq, "problems": self.problems}


def verify(rows: Iterable[AuditRow]) -> ChainReport:
    """Check ``rows`` (in ascending ``seq``) as described in the module docstring."""
    report = ChainReport()
    expected_seq, previous = 1, GENESIS
    for row in rows:
        report.rows += 1
        if row.seq != expected_seq:
            if row.seq > expected_seq:
                report._problem(row.seq, f"rows {expected_seq}..{row.seq - 1} are missing")
            else:
                report._problem(row.seq, f"row {row.seq} is out of order (expected {expected_seq})")
        if row.prev_hash != previous:
            report._problem(row.seq, f"row {row.seq} does not link to the row before it (prev_hash differs)")
        if row_hash(row.material()) != row.hash:
            report._problem(row.seq, f"row {row.seq} was altered (its hash does not match its values)")
        expected_seq, previous = row.seq + 1, row.hash
        report.head_seq, report.head_hash = row.seq, row.hash
    return report
