"""How a bill's notes (warnings) reach ``GET /settlements/{id}``: in the stored verdict JSON."""

from __future__ import annotations

import orjson

from gateway.settlement.rules import check
from gateway.settlement.view import verdict_dict, verdicts_bytes
from tests.gateway.settlement.factories import batch_dict, bill, parse


def test_a_verdict_with_notes_carries_them_and_one_without_has_none() -> None:
    frikort = {"exemptionCode": "F", "patientSharePaid": False}
    plan = check(parse(batch_dict("kommunalt-fellesoppgjor-fysioterapi", bills=[
        bill(1, diagnoses=[], patientShare="176.00"), bill(2, diagnoses=[], patientShare="0.00", **frikort)])))
    stored = orjson.loads(verdicts_bytes(plan.verdicts))
    assert "notes" not in stored[0]
    assert stored[1]["refund"] == "0.00"
    assert stored[1]["notes"] == [{"code": "BILL_FRIKORT_WITHOUT_PATIENT_SHARE",
                                   "message": plan.verdicts[1].notes[0].message,
                                   "location": "/bills/1/patientShare"}]
    assert verdict_dict(plan.verdicts[1])["notes"] == stored[1]["notes"]
