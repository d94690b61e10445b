"""What Elvis group-session events do to stored state (the Elvis BUP group routine).

Runs inside the store transaction of one message, like :mod:`gateway.bookings.service`: every read
and write of a message happens in one unit of work, and a refused event rolls all of it back. Rules:

- ``GroupSessionBooking`` is the session's complete, current list of booked patients. It makes one
  Appointment (system ``elvis``, ``booked``) with a participant per patient (own ``bookingId``,
  secondary mark). A patient left out of a later list is unbooked, unless their attendance or
  cancellation is already recorded (that is history, and stays). A cancelled patient named again is
  not revived: a cancellation comes as its own message. More patients than places (cancelled ones
  do not count) is 409 ``GROUP_CAPACITY_EXCEEDED``; another group under the same session id is 409
  ``SESSION_GROUP_MISMATCH``; a change to a session whose attendance is reported is 409
  ``SESSION_ALREADY_REPORTED``.
- ``AttendanceReport``: who came becomes ``attended`` and gets an Encounter (AMB, finished, linked to
  the session); who did not come becomes ``noshow``, loses the secondary booking and gets fee rule
  U2 ("Uteblivet besök, ska betala"), and gets no Encounter. A different second report for the same
  patient is 409 ``ATTENDANCE_ALREADY_REPORTED`` (corrections are not taken silently); the same
  report again changes nothing.
- The session is ``fulfilled`` when anyone came, ``noshow`` when every patient still booked did not
  come, and otherwise stays as it was.
- ``VisitRegistration`` of a visit fills in the patient's Encounter (visit type, fee, payment method,
  action code, reason; created when the attendance was not reported); a registration of U2 records
  the no-show and creates no Encounter. A registration that contradicts the reported attendance is
  409 ``VISIT_CONTRADICTS_ATTENDANCE``.
- ``Cancellation`` by patient or guardian: the participant ``declined``, attendance ``cancelled``,
  ``cancelled_by`` from ConceptMap ``elvis-cancelled-by`` (``pat``), the deviation text kept. It is
  not a no-show: no fee rule. Cancelling after attendance was reported is 409
  ``PARTICIPANT_ALREADY_REPORTED``; cancelling twice changes nothing.
- Anything for a session the gateway has not seen is 422 ``SESSION_UNKNOWN``; for a patient not
  booked in it 422 ``PARTICIPANT_UNKNOWN``; attendance or a visit for a cancelled patient is 409
  ``PARTICIPANT_CANCELLED``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from gateway.domain.group_records import EncounterRecord, GroupParticipant, GroupSessionRecord
from gateway.domain.groups import (
    NO_SHOW_VISIT_TYPE,
    TELEPHONE_VISIT_TYPE,
    AttendanceReported,
    GroupSessionBooked,
    ParticipantCancelled,
    TelephoneContactReported,
    VisitRegistered,
)
from gateway.domain.records import PersonRef
from gateway.fhir.mappings import MappingSet
from gateway.groups.elvis_records import (
    ElvisWriter,
    find_participant,
    group_encounter_id,
    group_session_id,
    leader_ref,
    person_ref,
    replace_participant,
)
from gateway.groups.elvis_telephone import apply_telephone_contact
from gateway.ports.store import StoreSession
from gateway.primitives.errors import Conflict
from gateway.state.writer import Outcome

__all__ = [
    "CANCELLED_BY_MAP",
    "apply_attendance",
    "apply_cancellation",
    "apply_session_booking",
    "apply_visit",
    "handlers",
]

CANCELLED_BY_MAP = "elvis-cancelled-by"
ATTENDED, NOSHOW, CANCELLED = "attended", "noshow", "cancelled"


def _session_status(participants: tuple[GroupParticipant, ...], current: str) -> str:
    booked = [participant for participant in participants if participant.attendance != CANCELLED]
    if any(participant.attendance == ATTENDED for participant in booked):
        return "fulfilled"
    if booked and all(participant.attendance == NOSHOW for participant in booked):
        return "noshow"
    return current


def _with_status(record: GroupSessionRecord) -> GroupSessionRecord:
    return record.with_changes(status=_session_status(record.participants, record.status))


def _merge(event: GroupSessionBooked, current: GroupSessionRecord | None) -> tuple[GroupParticipant, ...]:
    before = {(p.patient.kind, p.patient.value): p for p in (current.participants if current else ())}
    merged: list[GroupParticipant] = []
    for booked in event.patients:
        patient = person_ref(booked.patient, booked.name)
        known = before.pop((patient.kind, patient.value), None)
        if known is None:
            merged.append(GroupParticipant(patient, booked.booking_id, booked.secondary_booking))
        elif known.attendance is None:
            merged.append(known.with_changes(patient=patient, booking_id=booked.booking_id,
                                             secondary_booking=booked.secondary_booking))
        else:
            merged.append(known)  # reported or cancelled: the list does not rewrite what happened
    merged += [participant for participant in before.values() if participant.attendance is not None]
    return tuple(merged)


def _book(writer: ElvisWriter, event: GroupSessionBooked) -> None:
    unit = event.unit.value
    stored, current = writer.maybe_session(group_session_id(unit, event.session_id))
    if current is not None and current.group_id != event.group_id:
        raise Conflict("SESSION_GROUP_MISMATCH", f"session {event.session_id} belongs to group {current.group_id}, "
                       f"not {event.group_id}", location=event.location)
    participants = _merge(event, current)
    booked = sum(1 for participant in participants if participant.attendance != CANCELLED)
    if booked > event.capacity:
        raise Conflict("GROUP_CAPACITY_EXCEEDED", f"{booked} patients booked in session {event.session_id} of "
                       f"{event.group_name}, which has {event.capacity} places", location=event.location)
    record = _with_status(GroupSessionRecord(
        id=group_session_id(unit, event.session_id), system="elvis",
        status=current.status if current else "booked", unit=person_ref(event.unit, event.unit_name),
        session_id=event.session_id, unit_name=event.unit_name, group_id=event.group_id,
        group_name=event.group_name, session_number=event.session_number, start=event.start.isoformat(),
        end=event.end.isoformat(), practitioners=tuple(leader_ref(leader) for leader in event.leaders),
        capacity=event.capacity, visit_type_code=event.visit_type.code if event.visit_type else None,
        visit_type_display=event.visit_type.display if event.visit_type else None, participants=participants,
    ))
    if current is not None and current.status != "booked" and record != current:
        raise Conflict("SESSION_ALREADY_REPORTED", f"attendance of session {event.session_id} is reported "
                       f"({current.status}); its booking can no longer change", location=event.location)
    writer.save(record, stored, current)


def _encounter(writer: ElvisWriter, session: GroupSessionRecord, patient: PersonRef,
               practitioners: tuple[PersonRef, ...]) -> EncounterRecord:
    """The patient's visit of the session as stored, or a new one (AMB, finished) to fill in."""
    id = group_encounter_id(session.id, patient)
    _, current = writer.encounter(id)
    return current or EncounterRecord(
        id=id, status="finished", contact_mode="AMB", patient=patient, unit=session.unit,
        unit_name=session.unit_name, appointment_id=session.id, start=session.start, end=session.end,
        practitioners=practitioners or session.practitioners, visit_type_code=session.visit_type_code,
        visit_type_display=session.visit_type_display,
    )


def _no_show(participant: GroupParticipant) -> GroupParticipant:
    # the Elvis BUP group routine, point 4: the secondary booking (X) is removed and the visit type becomes U2.
    return participant.with_changes(attendance=NOSHOW, secondary_booking=False, fee_rule=NO_SHOW_VISIT_TYPE)


def _usable(record: GroupSessionRecord, index: int, location: str) -> GroupParticipant:
    participant = record.participants[index]
    if participant.attendance == CANCELLED:
        raise Conflict("PARTICIPANT_CANCELLED", f"patient {participant.patient.value} cancelled their place in "
                       f"session {record.session_id}", location=location)
    return participant


def _attendance(writer: ElvisWriter, event: AttendanceReported) -> None:
    stored, current = writer.group_session(event.unit.value, event.session_id, location=event.location)
    reporters = tuple(leader_ref(leader) for leader in event.reported_by)
    record, visits = current, []
    for entry in event.attendance:
        index = find_participant(record, entry.patient, location=entry.location)
        participant = _usable(record, index, entry.location)
        reported = ATTENDED if entry.attended else NOSHOW
        if participant.attendance not in (None, reported):
            raise Conflict("ATTENDANCE_ALREADY_REPORTED", f"patient {participant.patient.value} is already "
                           f"reported {participant.attendance} for session {record.session_id}",
                           location=entry.location)
        changed = participant.with_changes(attendance=ATTENDED) if entry.attended else _no_show(participant)
        record = replace_participant(record, index, changed)
        if entry.attended:
            visits.append(changed.patient)
    record = _with_status(record)
    writer.save(record, stored, current)
    for patient in visits:
        writer.save_latest(_encounter(writer, record, patient, reporters))


def _visit(writer: ElvisWriter, event: VisitRegistered) -> None:
    stored, current = writer.group_session(event.unit.value, event.session_id, location=event.location)
    index = find_participant(current, event.patient, location=event.location)
    participant = _usable(current, index, event.location)
    no_show = event.visit_type.code == NO_SHOW_VISIT_TYPE
    contradicted = ATTENDED if no_show else NOSHOW
    if participant.attendance == contradicted:
        raise Conflict("VISIT_CONTRADICTS_ATTENDANCE", f"visit type {event.visit_type.code} for patient "
                       f"{participant.patient.value}, whom the group leaders reported {contradicted}",
                       location=event.location)
    changed = _no_show(participant) if no_show else participant.with_changes(attendance=ATTENDED)
    record = _with_status(replace_participant(current, index, changed))
    writer.save(record, stored, current)
    if no_show:
        return  # no care took place: no Encounter
    base = _encounter(writer, record, changed.patient, ())
    writer.save_latest(dataclasses.replace(
        base, contact_mode="VR" if event.visit_type.code == TELEPHONE_VISIT_TYPE else base.contact_mode,
        visit_type_code=event.visit_type.code, visit_type_display=event.visit_type.display,
        fee_code=event.fee_code, payment_method=event.payment_method, action_code=event.action_code,
        reason=event.reason, source_id=event.visit_id or base.source_id,
    ))


def _cancel(writer: ElvisWriter, event: ParticipantCancelled) -> None:
    stored, current = writer.group_session(event.unit.value, event.session_id, location=event.location)
    index = find_participant(current, event.patient, location=event.location)
    participant = current.participants[index]
    if participant.attendance == CANCELLED:
        writer.unchanged(stored)
        return
    if participant.attendance is not None:
        raise Conflict("PARTICIPANT_ALREADY_REPORTED", f"patient {participant.patient.value} is already reported "
                       f"{participant.attendance}; a place cannot be cancelled after the session",
                       location=event.location)
    translation = writer.mappings.translate(CANCELLED_BY_MAP, event.cancelled_by.value)
    changed = participant.with_changes(status="declined", attendance=CANCELLED, deviation=event.deviation,
                                       cancelled_by=translation.code if translation else None)
    writer.save(_with_status(replace_participant(current, index, changed)), stored, current)


def apply_session_booking(session: StoreSession, event: GroupSessionBooked, mappings: MappingSet) -> list[Outcome]:
    writer = ElvisWriter(session, mappings)
    _book(writer, event)
    return writer.outcomes


def apply_attendance(session: StoreSession, event: AttendanceReported, mappings: MappingSet) -> list[Outcome]:
    writer = ElvisWriter(session, mappings)
    _attendance(writer, event)
    return writer.outcomes


def apply_visit(session: StoreSession, event: VisitRegistered, mappings: MappingSet) -> list[Outcome]:
    writer = ElvisWriter(session, mappings)
    _visit(writer, event)
    return writer.outcomes


def apply_cancellation(session: StoreSession, event: ParticipantCancelled, mappings: MappingSet) -> list[Outcome]:
    writer = ElvisWriter(session, mappings)
    _cancel(writer, event)
    return writer.outcomes


def handlers() -> dict[type, Callable[[StoreSession, Any, MappingSet], list[Outcome]]]:
    """The handler of each Elvis event type, for the table in :mod:`gateway.bootstrap.inbound`."""
    return {
        GroupSessionBooked: apply_session_booking,
        AttendanceReported: apply_attendance,
        VisitRegistered: apply_visit,
        ParticipantCancelled: apply_cancellation,
        TelephoneContactReported: apply_telephone_contact,
    }
