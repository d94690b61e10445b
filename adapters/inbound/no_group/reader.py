"""A schema-valid event document to a :class:`GroupAppointmentEvent`: the checks JSON Schema cannot
make (check digits, real times, time order, contradictory ticks) and the conversion itself."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from gateway.domain.group_appointments import (
    AttendanceEntry,
    BillingAccountData,
    Clinic,
    Diagnosis,
    Finish,
    GroupAction,
    GroupAppointmentEvent,
    GroupCancellation,
    Person,
    SessionDetails,
    Tariff,
)
from gateway.primitives.errors import Unprocessable
from gateway.primitives.identifiers import (
    Identifier,
    IdentifierKind,
    classify_norwegian_person,
    is_valid_bank_account,
    is_valid_orgnr,
)
from gateway.primitives.instants import require_in_range

__all__ = ["read_event"]

JSON = Mapping[str, Any]


def _instant(value: str, location: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise Unprocessable("EVENT_TIME_INVALID", f"{value!r} is no real time", location=location) from None
    # 0001-01-01T00:00:00+14:00 is a real time whose UTC instant lies before year 1.
    return require_in_range(moment, location=location)


def _patient(raw: JSON, location: str) -> Person:
    return Person(classify_norwegian_person(raw["id"], location=f"{location}/id"), raw.get("name"))


def _practitioner(raw: JSON) -> Person:
    return Person(Identifier(IdentifierKind.HPR, raw["hpr"]), raw.get("name"))


def _orgnr(value: str, location: str) -> str:
    if not is_valid_orgnr(value):
        raise Unprocessable("ORGNR_CHECK_DIGIT", f"{value!r} is not a valid organisation number (mod 11)",
                            location=location)
    return value


def _clinic(raw: JSON) -> Clinic:
    orgnr = raw.get("orgnr")
    return Clinic(raw["herId"], _orgnr(orgnr, "/clinic/orgnr") if orgnr is not None else None, raw.get("name"))


def _details(doc: JSON) -> SessionDetails:
    kind = doc.get("appointmentType") or {}
    start = _instant(doc["start"], "/start") if "start" in doc else None
    end = _instant(doc["end"], "/end") if "end" in doc else None
    if start is not None and end is not None and end <= start:
        raise Unprocessable("GROUP_TIME_INVALID", f"the appointment ends ({doc['end']}) before it starts "
                            f"({doc['start']})", location="/end")
    return SessionDetails(
        type_code=kind.get("code"), type_name=kind.get("name"), capacity=doc.get("capacity"),
        online_bookable=doc.get("onlineBookable"), helfo_tariffs=doc.get("helfoTariffs"),
        extra_fee=Decimal(doc["extraFee"]) if "extraFee" in doc else None, start=start, end=end,
        practitioner=_practitioner(doc["practitioner"]) if "practitioner" in doc else None, note=doc.get("note"),
    )


def _patients(doc: JSON) -> tuple[Person, ...]:
    found: list[Person] = []
    seen: set[str] = set()
    for index, raw in enumerate(doc["patients"]):
        person = _patient(raw, f"/patients/{index}")
        if person.id.value in seen:
            raise Unprocessable("EVENT_PATIENT_TWICE", f"patient {person.id.value} is named twice",
                                location=f"/patients/{index}/id")
        seen.add(person.id.value)
        found.append(person)
    return tuple(found)


def _tariffs(raw: list[JSON] | None) -> tuple[Tariff, ...] | None:
    if raw is None:
        return None
    return tuple(Tariff(item["code"], Decimal(item["amount"]), item["count"]) for item in raw)


def _attendance(index: int, raw: JSON) -> AttendanceEntry:
    where = f"/attendance/{index}"
    attended = raw.get("attended", True)
    bill = raw.get("bill", attended)
    if bill and not attended:
        # The seed's one tick means "came and gets a bill card"; a bill for a patient who did not
        # come would claim HELFO refund for care never given.
        raise Unprocessable("GROUP_BILL_WITHOUT_ATTENDANCE", "a patient who did not attend gets no bill card; "
                            "set bill to false or attended to true", location=f"{where}/bill")
    diagnosis = raw.get("diagnosis")
    share = raw.get("patientShare")
    return AttendanceEntry(
        patient=_patient(raw["patient"], f"{where}/patient").id, attended=attended, bill=bill,
        diagnosis=Diagnosis(diagnosis["system"], diagnosis["code"], diagnosis.get("display")) if diagnosis else None,
        exemption_code=raw.get("exemptionCode"), patient_share=Decimal(share) if share is not None else None,
        tariffs=_tariffs(raw.get("tariffs")),
    )


def _finish(doc: JSON) -> Finish:
    account = doc["account"]
    if not is_valid_bank_account(account["accountNumber"]):
        raise Unprocessable("ACCOUNT_NUMBER_CHECK_DIGIT", f"{account['accountNumber']!r} is not a valid Norwegian "
                            "bank account number (mod 11)", location="/account/accountNumber")
    attendance = tuple(_attendance(index, raw) for index, raw in enumerate(doc.get("attendance", ())))
    seen: set[str] = set()
    for index, entry in enumerate(attendance):
        if entry.patient.value in seen:
            raise Unprocessable("EVENT_PATIENT_TWICE", f"patient {entry.patient.value} is named twice",
                                location=f"/attendance/{index}/patient/id")
        seen.add(entry.patient.value)
    share = doc.get("patientShare")
    return Finish(
        accounting=doc["accounting"], actor=_practitioner(doc["actor"]),
        account=BillingAccountData(_orgnr(account["organisationNumber"], "/account/organisationNumber"),
                                   account["accountNumber"], account["senderHerId"], account["owner"],
                                   account.get("messageType"), account.get("practiceType")),
        group_note=doc.get("groupNote") or None, tariffs=_tariffs(doc.get("tariffs")) or (),
        patient_share=Decimal(share) if share is not None else None, attendance=attendance,
    )


def _cancellation(doc: JSON) -> GroupCancellation:
    patient = doc.get("patient")
    return GroupCancellation(doc["by"], _patient(patient, "/patient").id if patient else None, doc.get("reason"))


def read_event(doc: JSON, *, source: str) -> GroupAppointmentEvent:
    """``doc`` has passed the schema; every other fault is an :class:`Unprocessable` located by JSON
    pointer."""
    action = GroupAction(doc["event"])
    event = GroupAppointmentEvent(action=action, group_appointment_id=doc["groupAppointmentId"],
                                  occurred_at=_instant(doc["occurredAt"], "/occurredAt"),
                                  clinic=_clinic(doc["clinic"]), source=source)
    changes: dict[str, Any] = {}
    if action in (GroupAction.CREATED, GroupAction.CHANGED, GroupAction.MOVED, GroupAction.EXTENDED,
                  GroupAction.COPIED):
        changes["details"] = _details(doc)
    if action in (GroupAction.PATIENTS_ADDED, GroupAction.PATIENTS_REMOVED):
        changes["patients"] = _patients(doc)
    if action in (GroupAction.CHECKED_IN, GroupAction.CHECKED_OUT):
        changes["patient"] = _patient(doc["patient"], "/patient").id
        changes["at"] = _instant(doc["at"], "/at")
    if action is GroupAction.COPIED:
        changes["new_group_appointment_id"] = doc["newGroupAppointmentId"]
        if doc["newGroupAppointmentId"] == doc["groupAppointmentId"]:
            raise Unprocessable("GROUP_COPY_SAME_ID", "a copy needs an id of its own",
                                location="/newGroupAppointmentId")
    if action is GroupAction.FINISHED:
        changes["finish"] = _finish(doc)
    if action is GroupAction.CANCELLED:
        changes["cancellation"] = _cancellation(doc)
    return dataclasses.replace(event, **changes)
