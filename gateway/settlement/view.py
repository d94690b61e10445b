"""JSON shapes of settlements: how verdicts and totals are stored, and what ``GET /settlements/{id}``
answers. Amounts are decimal strings (``"196.00"``), never JSON numbers.

Each bill the message carried (verdict ``included``) also shows where it stands with HELFO:
``status`` is ``queued`` (not delivered yet), ``sent``, ``failed`` (delivery given up), ``accepted``
or ``rejected``; ``errors`` are HELFO's words about it (code, text, offending value); ``claim`` is
``held`` or ``released`` (a rejected bill may be sent again). A bill refused ``BILL_ALREADY_CLAIMED``
names the settlement holding it in ``claimedBy``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

import orjson

from adapters.outbound.apprec import AppRecStatus
from gateway.domain.settlement import BillVerdict, SettlementTotals
from gateway.domain.settlement_records import AppRecOutcome, ReceiptError, SettlementRecord, SettlementState
from gateway.settlement.receipts import rejected_positions, sent_bills_of

__all__ = ["APPREC_STATUS_TEXT", "settlement_json", "totals_bytes", "verdict_dict", "verdicts_bytes"]

APPREC_STATUS_TEXT = {1: "ok", 2: "rejected", 3: "ok-with-errors"}


def verdict_dict(verdict: BillVerdict) -> dict[str, Any]:
    entry: dict[str, Any] = {"guid": verdict.guid, "billNumber": verdict.bill_number,
                             "verdict": verdict.verdict.value}
    if verdict.code is not None:
        entry["code"] = verdict.code
    if verdict.reason is not None:
        entry["reason"] = verdict.reason
    if verdict.refund is not None:
        entry["refund"] = str(verdict.refund)
    if verdict.location is not None:
        entry["location"] = verdict.location
    if verdict.notes:
        entry["notes"] = [{"code": n.code, "message": n.message, "location": n.location} for n in verdict.notes]
    return entry


def verdicts_bytes(verdicts: Sequence[BillVerdict], *, claimed_by: Mapping[int, str] | None = None) -> bytes:
    """The stored verdicts; ``claimed_by`` gives, by position, the settlement holding a bill's claim."""
    entries = [verdict_dict(v) for v in verdicts]
    for position, settlement_id in (claimed_by or {}).items():
        if 0 <= position < len(entries) and entries[position].get("code") == "BILL_ALREADY_CLAIMED":
            entries[position]["claimedBy"] = settlement_id
    return orjson.dumps(entries)


def totals_bytes(totals: SettlementTotals) -> bytes:
    return orjson.dumps({"billCount": totals.bill_count, "sumClaimed": str(totals.sum_claimed)})


#: A sent bill's status before any AppRec, by the settlement's state.
_BEFORE_RECEIPT: Final = {SettlementState.QUEUED: "queued", SettlementState.SENT: "sent",
                          SettlementState.FAILED: "failed"}


def _error_dict(error: ReceiptError) -> dict[str, Any]:
    return {"code": error.code, "text": error.text, "value": error.value, "system": error.system}


def _bill_outcomes(record: SettlementRecord, bills: list[dict[str, Any]]) -> None:
    """Put each carried bill's standing with HELFO on its entry (module docstring); ``bills`` are
    the record's verdicts, parsed."""
    carried = sent_bills_of(bills)
    apprec = record.apprec
    rejected = set(rejected_positions(apprec, carried)) if apprec is not None else set()
    words = _words_by_position(apprec, [b.position for b in carried]) if apprec is not None else {}
    for bill in carried:
        entry = bills[bill.position]
        if apprec is None:
            entry["status"] = _BEFORE_RECEIPT.get(record.state, record.state.value)
            entry["claim"] = "held"
            continue
        entry["status"] = "rejected" if bill.position in rejected else "accepted"
        entry["claim"] = "released" if bill.position in rejected else "held"
        if bill.position in words:
            entry["errors"] = words[bill.position]


def _words_by_position(apprec: AppRecOutcome, positions: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    """The errors naming each bill, in the AppRec's order; a rejection of the whole message also
    says why to every bill (of ``positions``, the carried ones)."""
    words: dict[int, list[dict[str, Any]]] = {}
    for e in apprec.errors:
        if e.bills:
            named: Iterable[int] = dict.fromkeys(e.bills)
        elif apprec.status == AppRecStatus.REJECTED:
            named = positions
        else:
            continue
        for position in named:
            words.setdefault(position, []).append(_error_dict(e))
    return words


def settlement_json(record: SettlementRecord, *, base_path: str = "/settlements") -> dict[str, Any]:
    bills = orjson.loads(record.verdicts)
    if record.has_message:
        _bill_outcomes(record, bills)
    counts = Counter(str(bill["verdict"]) for bill in bills)
    body: dict[str, Any] = {
        "id": record.id,
        "state": record.state.value,
        "created": record.created,
        "updated": record.updated,
        "msgId": record.msg_id,
        "receiverHerId": record.receiver_her_id,
        "totals": orjson.loads(record.totals) if record.totals is not None else None,
        "counts": {name: counts.get(name, 0) for name in ("included", "refused", "dropped")},
        "bills": bills,
        "delivery": None,
        "appRec": None,
        "lastError": record.last_error,
    }
    if record.error_code is not None:
        body["errorCode"] = record.error_code
    if record.has_message:
        body["messageUrl"] = f"{base_path}/{record.id}/message"
    if record.delivery is not None:
        d = record.delivery
        body["delivery"] = {"state": d.state.value, "attempts": d.attempts, "nextAttemptAt": d.next_attempt_at,
                            "deliveredAt": d.delivered_at, "lastError": d.last_error,
                            "retrying": d.state.value == "queued" and d.last_error is not None}
    if record.apprec is not None:
        body["appRec"] = {"status": record.apprec.status,
                          "statusText": APPREC_STATUS_TEXT.get(record.apprec.status, "unknown"),
                          "errorCodes": list(record.apprec.error_codes), "id": record.apprec.apprec_id,
                          "errors": [{**_error_dict(e), "bills": [f"/bills/{p}" for p in e.bills]}
                                     for e in record.apprec.errors]}
    return body
