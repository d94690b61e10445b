"""JSON shapes of settlements: how verdicts and totals are stored, and what ``GET /settlements/{id}``
answers. Amounts are decimal strings (``"196.00"``), never JSON numbers."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import orjson

from gateway.settlement.model import BillVerdict, SettlementTotals
from gateway.settlement.records import SettlementRecord

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
    return entry


def verdicts_bytes(verdicts: Sequence[BillVerdict]) -> bytes:
    return orjson.dumps([verdict_dict(v) for v in verdicts])


def totals_bytes(totals: SettlementTotals) -> bytes:
    return orjson.dumps({"billCount": totals.bill_count, "sumClaimed": str(totals.sum_claimed)})


def settlement_json(record: SettlementRecord, *, base_path: str = "/settlements") -> dict[str, Any]:
    bills = orjson.loads(record.verdicts)
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
                          "errorCodes": list(record.apprec.error_codes), "id": record.apprec.apprec_id}
    return body
