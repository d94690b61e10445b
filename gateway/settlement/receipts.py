"""Which bills an AppRec speaks of: every error kept whole, and put on the bills it names.

An AppRec ``Error`` carries a code (V), HELFO's text (DN) and the offending value as sent (OT). An
error points at a bill of the settlement when its OT holds:

- the bill's GUID, anywhere in the value (braces and letter case aside), or the value is the GUID;
- the bill's RegningNr as the whole value, or labelled (``RegningNr 3001``, ``regningsnummer: 3001``);
- a position in the message, ``Regning[2]``: the second bill the message carried (XPath counts from 1).

Only bills the message carried (verdict ``included``) can be named. A RegningNr that two of them
share (two practitioners) names neither: releasing a claim HELFO did not reject would let that bill
be paid twice, so an unclear error stays on the message only. The text (DN) is never searched.

What HELFO rejected (:func:`rejected_positions`): status 2 rejects the whole message, so every bill
it carried; status 3 (OK with errors) the bills its errors point at; status 1 none.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import orjson

from adapters.outbound.apprec import AppRec, AppRecStatus
from gateway.domain.settlement import canonical_guid
from gateway.domain.settlement_records import AppRecOutcome, ReceiptError

__all__ = ["SentBill", "bills_named", "outcome_of", "rejected_positions", "sent_bills", "sent_bills_of"]

_GUID: Final = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_LABELLED_NUMBER: Final = re.compile(r"(?i)\b(?:regningnr|regningsnummer)\b\s*[:=#.]?\s*([0-9A-Za-z-]{1,20})")
_POSITION: Final = re.compile(r"(?i)\bregning\[(\d{1,6})\]")


@dataclass(frozen=True, slots=True)
class SentBill:
    """A bill the message carried: its position in the batch, normalised GUID and RegningNr."""

    position: int
    guid: str
    bill_number: str


def sent_bills(verdicts: bytes) -> tuple[SentBill, ...]:
    """The bills of a stored settlement's verdicts that went into its message, in message order."""
    return sent_bills_of(orjson.loads(verdicts))


def sent_bills_of(verdicts: Sequence[Mapping[str, Any]]) -> tuple[SentBill, ...]:
    """:func:`sent_bills` of verdicts already parsed."""
    return tuple(SentBill(position, canonical_guid(str(v["guid"])), str(v["billNumber"]))
                 for position, v in enumerate(verdicts) if v.get("verdict") == "included")


@dataclass(frozen=True, slots=True)
class _SentIndex:
    """The sent bills looked up by normalised GUID and by RegningNr (every position carrying it)."""

    by_guid: dict[str, int]
    by_number: dict[str, list[int]]


def _index(bills: Sequence[SentBill]) -> _SentIndex:
    by_number: dict[str, list[int]] = {}
    for b in bills:
        by_number.setdefault(b.bill_number, []).append(b.position)
    return _SentIndex({b.guid: b.position for b in bills}, by_number)


def bills_named(value: str | None, bills: Sequence[SentBill], *, index: _SentIndex | None = None) -> tuple[int, ...]:
    """Positions of the bills an error's offending value (OT) names (module docstring). ``index``
    is ``bills`` looked up (:func:`_index`), for a caller naming many values against the same bills."""
    text = (value or "").strip()
    if not text:
        return ()
    looked_up = index if index is not None else _index(bills)
    named: set[int] = set()
    for guid in {canonical_guid(found) for found in _GUID.findall(text)} | {canonical_guid(text)}:
        if guid in looked_up.by_guid:
            named.add(looked_up.by_guid[guid])
    for number in {text, *_LABELLED_NUMBER.findall(text)}:
        positions = looked_up.by_number.get(number, [])
        if len(positions) == 1:
            named.add(positions[0])
    for ordinal in _POSITION.findall(text):
        if 1 <= int(ordinal) <= len(bills):
            named.add(bills[int(ordinal) - 1].position)
    return tuple(sorted(named))


def outcome_of(apprec: AppRec, bills: Sequence[SentBill]) -> AppRecOutcome:
    """The AppRec as recorded: status, codes, and every error whole with the bills it names."""
    index = _index(bills)
    errors = tuple(ReceiptError(e.code, e.text, e.original_text, e.system,
                                bills_named(e.original_text, bills, index=index))
                   for e in apprec.errors)
    return AppRecOutcome(int(apprec.status), tuple(e.code or "" for e in apprec.errors), apprec.id, errors)


def rejected_positions(outcome: AppRecOutcome, bills: Sequence[SentBill]) -> tuple[int, ...]:
    """Positions of the bills HELFO rejected with this outcome (module docstring)."""
    if outcome.status == AppRecStatus.REJECTED:
        return tuple(b.position for b in bills)
    if outcome.status == AppRecStatus.OK_WITH_ERRORS:
        return tuple(sorted({position for error in outcome.errors for position in error.bills}))
    return ()
