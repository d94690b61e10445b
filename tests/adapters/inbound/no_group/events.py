"""Builders of Norwegian group-appointment event documents for tests (the samples' clinic and people)."""

from __future__ import annotations

from typing import Any

import orjson

CLINIC = {"herId": "8142531", "orgnr": "921000006", "name": "Nordby kommune fysioterapi"}
GROUP = "GT-TEST-1"
P1, P2, P3, P4, P5 = "12037512328", "23049045697", "41019044473", "05056578910", "30018234595"
ACTOR = {"hpr": "2345678", "name": "Siri Fysio"}
ACCOUNT = {"organisationNumber": "921000006", "accountNumber": "63451234562", "senderHerId": "8142531",
           "owner": "Berit Admin"}
CREATED_AT = "2024-09-02T09:00:00+02:00"


def event(name: str, occurred_at: str = "2024-09-02T09:01:00+02:00", *, group: str = GROUP,
          **rest: Any) -> dict[str, Any]:
    return {"event": name, "groupAppointmentId": group, "occurredAt": occurred_at, "clinic": CLINIC, **rest}


def created(*, group: str = GROUP, capacity: int = 3, helfo: bool = True, **rest: Any) -> dict[str, Any]:
    doc = event("created", CREATED_AT, group=group, appointmentType={"code": "GRUPPETRENING",
                "name": "Gruppetrening rygg"}, capacity=capacity, onlineBookable=False, helfoTariffs=helfo,
                start="2024-09-17T10:00:00+02:00", end="2024-09-17T11:00:00+02:00", practitioner=ACTOR)
    return {**doc, **rest}


def added(*patients: str, group: str = GROUP) -> dict[str, Any]:
    return event("patients-added", group=group, patients=[{"id": p} for p in patients])


def finished(*attendance: dict[str, Any], accounting: str = "kommunalt-fellesoppgjor-fysioterapi",
             **rest: Any) -> dict[str, Any]:
    doc = event("finished", "2024-09-17T11:05:00+02:00", accounting=accounting, actor=ACTOR, account=ACCOUNT,
                tariffs=[{"code": "A8a", "amount": "118.00", "count": 1}], groupNote="Felles gruppenotat",
                attendance=list(attendance))
    return {**doc, **rest}


def body(doc: Any) -> bytes:
    return orjson.dumps(doc)
