"""Finishing a Norwegian group appointment ("Avslutt time", the clinic system's Gruppetimer guide): attendance, the
bill-card
details per patient, the Appointment's end state and an Encounter per patient who came.

Pure: the current record and the ``finished`` event in, the new record and the Encounters out.
Rules the seed leaves open, decided here:

- a patient the event does not list keeps the default: attended and billed (the seed ticks
  everyone); a listed patient must be booked on the appointment (422 ``GROUP_PATIENT_UNKNOWN``)
  and not have cancelled their place (409 ``GROUP_PATIENT_CANCELLED``);
- tariffs of a bill: the patient's own ``tariffs`` when given, else the event's appointment-wide
  ``tariffs``. With HELFO tariffs every billed patient needs at least one (422
  ``GROUP_TARIFFS_MISSING``); a group without HELFO tariffs takes none (422
  ``GROUP_TARIFFS_WITHOUT_HELFO``: its own fee is the extra fee, never claimed from HELFO);
- the patient's share (egenandel) of a HELFO group's bill: the patient's own ``patientShare``, else
  the event's, else the group's extra fee ("Ev. tilleggsgebyr"), the patient's part of every bill.
  A group without HELFO tariffs has neither share nor exemption code: its fee is the extra fee and
  HELFO's exemptions (frikort and the like) do not apply to it (422 ``GROUP_SHARE_WITHOUT_HELFO``,
  ``GROUP_EXEMPTION_WITHOUT_HELFO``), rather than a share or a frikort silently ignored;
- every billed patient gets a bill card "Betales senere" (:mod:`gateway.groups.bill_cards`);
- on a municipal physiotherapy account the only exemption code is frikort F (the clinic system's guide to municipal
settlements), refused
  here already (422 ``GROUP_EXEMPTION_NOT_ALLOWED``) rather than later by the settlement;
- the Encounter's period is the patient's check-in to check-out when they were checked in and out,
  else the appointment's time; its practitioner is the actor; its reason is the diagnosis.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Final

from gateway.domain.group_appointments import AttendanceEntry, Finish, Tariff
from gateway.domain.group_records import (
    BillingAccount,
    EncounterRecord,
    GroupParticipant,
    GroupSessionRecord,
    TariffLine,
)
from gateway.domain.records import RESOURCE_IDS, PersonRef
from gateway.groups.bill_cards import bill_card
from gateway.primitives.errors import Conflict, Unprocessable
from gateway.primitives.identifiers import Identifier, IdentifierKind

__all__ = ["encounter_id", "finish_session"]

_PHYSIO: Final = "kommunalt-fellesoppgjor-fysioterapi"


def encounter_id(appointment_id: str, patient: str) -> str:
    return str(uuid.uuid5(RESOURCE_IDS, f"no-group-encounter|{appointment_id}|{patient}"))


def _lines(tariffs: tuple[Tariff, ...]) -> tuple[TariffLine, ...]:
    return tuple(TariffLine(t.code, str(t.amount), t.count) for t in tariffs)


def _entries(record: GroupSessionRecord, finish: Finish) -> dict[str, tuple[int, AttendanceEntry]]:
    found: dict[str, tuple[int, AttendanceEntry]] = {}
    booked = {p.patient.value: p for p in record.participants}
    for index, entry in enumerate(finish.attendance):
        where = f"/attendance/{index}/patient/id"
        participant = booked.get(entry.patient.value)
        if participant is None:
            raise Unprocessable("GROUP_PATIENT_UNKNOWN", f"patient {entry.patient.value} is not on group "
                                f"appointment {record.session_id}", location=where)
        if participant.status == "declined":
            raise Conflict("GROUP_PATIENT_CANCELLED", f"patient {entry.patient.value} has cancelled their place "
                           "and cannot be ticked at finish", location=where)
        found[entry.patient.value] = (index, entry)
    return found


def _finished_participant(record: GroupSessionRecord, finish: Finish, participant: GroupParticipant,
                          listed: tuple[int, AttendanceEntry] | None) -> GroupParticipant:
    index, entry = listed if listed is not None else (None, AttendanceEntry(patient=_identifier_of(participant)))
    where = f"/attendance/{index}" if index is not None else "/tariffs"
    billed = entry.attended and entry.bill
    diagnosis = entry.diagnosis if entry.attended else None
    changes: dict[str, object] = {
        "attendance": "attended" if entry.attended else "noshow", "bill": billed,
        "diagnosis_system": diagnosis.system if diagnosis else None,
        "diagnosis_code": diagnosis.code if diagnosis else None,
        "diagnosis_display": diagnosis.display if diagnosis else None,
    }
    if billed:
        tariffs = entry.tariffs if entry.tariffs is not None else finish.tariffs
        if record.helfo_tariffs and not tariffs:
            raise Unprocessable("GROUP_TARIFFS_MISSING", f"group appointment {record.session_id} uses HELFO "
                                f"tariffs but the bill card of patient {participant.patient.value} has none; give "
                                "'tariffs' for the appointment or for the patient", location=where)
        if not record.helfo_tariffs and tariffs:
            raise Unprocessable("GROUP_TARIFFS_WITHOUT_HELFO", f"group appointment {record.session_id} does not use "
                                "HELFO tariffs; its own fee is the extra fee", location=where)
        if not record.helfo_tariffs:
            _no_helfo_parts(record, entry, index)
        if finish.accounting == _PHYSIO and entry.exemption_code not in (None, "F"):
            raise Unprocessable("GROUP_EXEMPTION_NOT_ALLOWED", f"exemption code {entry.exemption_code} is not valid "
                                "in municipal physiotherapy: frikort (F) is the only one",
                                location=f"/attendance/{index}/exemptionCode")
        share = next((str(amount) for amount in (entry.patient_share, finish.patient_share) if amount is not None),
                     record.extra_fee if record.helfo_tariffs else None)
        changes.update(exemption_code=entry.exemption_code, patient_share=share, tariffs=_lines(tariffs))
        changes["bill_card"] = bill_card(record, share, entry.exemption_code)
    return participant.with_changes(**changes)


def _no_helfo_parts(record: GroupSessionRecord, entry: AttendanceEntry, index: int | None) -> None:
    if entry.patient_share is not None:
        raise Unprocessable("GROUP_SHARE_WITHOUT_HELFO", f"group appointment {record.session_id} does not use HELFO "
                            "tariffs: its patients pay its extra fee, not a patient's share",
                            location=f"/attendance/{index}/patientShare")
    if entry.exemption_code is not None:
        raise Unprocessable("GROUP_EXEMPTION_WITHOUT_HELFO", f"group appointment {record.session_id} does not use "
                            f"HELFO tariffs: exemption code {entry.exemption_code} (frikort and the like) applies to "
                            "HELFO's patient share only", location=f"/attendance/{index}/exemptionCode")


def _identifier_of(participant: GroupParticipant) -> Identifier:
    return Identifier(IdentifierKind(participant.patient.kind), participant.patient.value)


def _encounter(record: GroupSessionRecord, participant: GroupParticipant, actor: PersonRef,
               note: str | None) -> EncounterRecord:
    reason = " ".join(part for part in (participant.diagnosis_system, participant.diagnosis_code,
                                        participant.diagnosis_display) if part) or None
    return EncounterRecord(
        id=encounter_id(record.id, participant.patient.value), status="finished", contact_mode="AMB",
        patient=participant.patient, unit=record.unit, unit_name=record.unit_name, appointment_id=record.id,
        start=participant.checked_in or record.start,
        end=participant.checked_out or record.end,
        practitioners=(actor,), visit_type_code=record.visit_type_code,
        visit_type_display=record.visit_type_display, reason=reason, note=note,
    )


def finish_session(record: GroupSessionRecord, finish: Finish, *,
                   finished_at: dt.datetime) -> tuple[GroupSessionRecord, list[EncounterRecord]]:
    if not record.helfo_tariffs and finish.patient_share is not None:
        raise Unprocessable("GROUP_SHARE_WITHOUT_HELFO", f"group appointment {record.session_id} does not use HELFO "
                            "tariffs: its patients pay its extra fee, not a patient's share", location="/patientShare")
    listed = _entries(record, finish)
    participants = tuple(
        p if p.status == "declined" else _finished_participant(record, finish, p, listed.get(p.patient.value))
        for p in record.participants
    )
    actor = PersonRef(kind=finish.actor.id.kind.value, value=finish.actor.id.value, display=finish.actor.name)
    account = finish.account
    finished = record.with_changes(
        status="fulfilled" if any(p.attendance == "attended" for p in participants) else "noshow",
        participants=participants, accounting=finish.accounting, actor=actor, group_note=finish.group_note,
        finished_at=finished_at.isoformat(),
        billing_account=BillingAccount(finish.accounting, account.organisation_number, account.account_number,
                                       account.sender_her_id, account.owner, account.message_type,
                                       account.practice_type),
    )
    encounters = [_encounter(finished, p, actor, finish.group_note) for p in participants if p.attendance == "attended"]
    return finished, encounters
