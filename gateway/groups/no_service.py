"""What a Norwegian group-appointment event does to stored state (gruppetimer, the clinic
system's Gruppetimer guide).

Runs inside the one store transaction of its message (:mod:`gateway.ingest.pipeline`), so reading
the current version and writing the next cannot race; a refused event stores nothing. Rules:

- a group appointment is one Appointment (``booked`` when created), keyed by (clinic HER-id, the
  clinic system's ``groupAppointmentId``); any event but ``created`` for one never seen is a 422
  ``GROUP_UNKNOWN`` (the event is understood but names nothing);
- ``created`` again with other content is a 409 ``GROUP_EXISTS`` (the same content is no change);
- patients beyond the capacity (adding, or lowering the capacity below the patients booked) are a
  409 ``GROUP_CAPACITY_EXCEEDED``; a patient cancelled on their own behalf frees the place;
- ``deleted`` only within five minutes of the ``created`` event (its ``occurredAt``, not the
  gateway's clock, so a late delivery does not turn a timely delete into a late one): the
  Appointment becomes ``entered-in-error`` (it never happened). Later: 409 ``GROUP_DELETE_TOO_LATE``;
- ``cancelled`` for the whole appointment: ``cancelled`` with reason ``prov``/``pat``; for one
  patient: that participant ``declined`` (attendance ``cancelled``, ``cancelled_by``), the
  appointment goes on;
- the first check-in makes the Appointment ``arrived``; check-out needs a check-in;
- ``finished``: every patient attended and billed unless unticked; the Appointment ``fulfilled``
  (``noshow`` when nobody came), a finished AMB Encounter per attended patient (none for no-shows),
  the group note kept on the session and on each Encounter (the patient's journal note), and a bill
  card "betales senere" per billed patient, kept on its participant (:mod:`gateway.groups.bill_cards`);
- ``copied``: a new ``booked`` Appointment with the same type, capacity, practitioner, note and
  the patients still booked; its own five-minute delete window starts at the copy;
- after ``cancelled``, ``entered-in-error``, ``fulfilled`` or ``noshow`` nothing more changes
  (409 ``GROUP_CLOSED``), except that such an appointment may still be copied (not a deleted one).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Final

from gateway.domain.group_appointments import GroupAction, GroupAppointmentEvent, Person
from gateway.domain.group_records import GroupParticipant, GroupSessionRecord
from gateway.domain.records import RESOURCE_IDS, PersonRef
from gateway.fhir.mappings import MappingSet
from gateway.groups.no_finish import finish_session
from gateway.ports.store import Stored, StoreSession
from gateway.primitives.errors import Conflict, Unprocessable
from gateway.primitives.identifiers import Identifier, IdentifierKind
from gateway.state.writer import Outcome, RecordWriter

__all__ = ["DELETE_WINDOW", "apply_group_event", "group_appointment_id"]

DELETE_WINDOW: Final = dt.timedelta(minutes=5)
CLOSED: Final = frozenset({"cancelled", "entered-in-error", "fulfilled", "noshow"})
_Current = tuple[Stored, GroupSessionRecord]


def group_appointment_id(her_id: str, group_appointment_id: str) -> str:
    return str(uuid.uuid5(RESOURCE_IDS, f"no-group|{her_id}|{group_appointment_id}"))


def person_ref(person: Identifier, name: str | None = None) -> PersonRef:
    return PersonRef(kind=person.kind.value, value=person.value, display=name)


def _unit(event: GroupAppointmentEvent) -> PersonRef:
    return PersonRef(kind=IdentifierKind.HER_ID.value, value=event.clinic.her_id, display=event.clinic.name)


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


class _Writer(RecordWriter):
    def group(self, her_id: str, source_id: str) -> tuple[Stored | None, GroupSessionRecord | None]:
        stored, record = self.current("Appointment", group_appointment_id(her_id, source_id))
        if record is not None and not isinstance(record, GroupSessionRecord):
            raise Conflict("GROUP_ID_TAKEN", f"{source_id} names another kind of appointment")
        return stored, record

    def existing(self, event: GroupAppointmentEvent) -> _Current:
        stored, record = self.group(event.clinic.her_id, event.group_appointment_id)
        if stored is None or record is None:
            raise Unprocessable("GROUP_UNKNOWN", f"no group appointment {event.group_appointment_id} at clinic "
                                f"{event.clinic.her_id}; send its 'created' event first",
                                location="/groupAppointmentId")
        return stored, record


def _open(event: GroupAppointmentEvent, record: GroupSessionRecord) -> None:
    if record.status in CLOSED:
        raise Conflict("GROUP_CLOSED", f"group appointment {record.session_id} is {record.status}; "
                       f"a '{event.action.value}' event cannot change it", location="/event")


def _active(record: GroupSessionRecord) -> int:
    return sum(1 for p in record.participants if p.status != "declined")


def _check_capacity(record: GroupSessionRecord, location: str) -> None:
    if record.capacity is not None and _active(record) > record.capacity:
        raise Conflict("GROUP_CAPACITY_EXCEEDED", f"group appointment {record.session_id} has {record.capacity} "
                       f"place(s); this would book {_active(record)} patient(s)", location=location)


def _participant_index(record: GroupSessionRecord, patient: Identifier, location: str) -> int:
    for index, participant in enumerate(record.participants):
        if participant.patient.value == patient.value:
            return index
    raise Unprocessable("GROUP_PATIENT_UNKNOWN", f"patient {patient.value} is not on group appointment "
                        f"{record.session_id}", location=location)


def _replace_participant(record: GroupSessionRecord, index: int, new: GroupParticipant) -> GroupSessionRecord:
    participants = list(record.participants)
    participants[index] = new
    return record.with_changes(participants=tuple(participants))


def _practitioners(practitioner: Person | None) -> tuple[PersonRef, ...]:
    return (person_ref(practitioner.id, practitioner.name),) if practitioner is not None else ()


def _created(writer: _Writer, event: GroupAppointmentEvent) -> None:
    details = event.details
    assert details is not None
    stored, current = writer.group(event.clinic.her_id, event.group_appointment_id)
    record = GroupSessionRecord(
        id=group_appointment_id(event.clinic.her_id, event.group_appointment_id), system="no", status="booked",
        unit=_unit(event), session_id=event.group_appointment_id, unit_name=event.clinic.name,
        start=_iso(details.start), end=_iso(details.end), practitioners=_practitioners(details.practitioner),
        capacity=details.capacity, online_bookable=details.online_bookable, helfo_tariffs=details.helfo_tariffs,
        extra_fee=str(details.extra_fee) if details.extra_fee is not None else None,
        visit_type_code=details.type_code, visit_type_display=details.type_name, note=details.note or None,
        created_at=_iso(event.occurred_at),
    )
    if current is not None and current != record:
        raise Conflict("GROUP_EXISTS", f"group appointment {event.group_appointment_id} already exists "
                       "with other content; change it with a 'changed' event", location="/groupAppointmentId")
    writer.save(record, stored, current)


def _patients_added(writer: _Writer, event: GroupAppointmentEvent) -> None:
    stored, current = writer.existing(event)
    _open(event, current)
    record = current
    for person in event.patients:
        found = next((i for i, p in enumerate(record.participants) if p.patient.value == person.id.value), None)
        if found is None:
            participant = GroupParticipant(patient=person_ref(person.id, person.name))
            record = record.with_changes(participants=(*record.participants, participant))
        elif record.participants[found].status == "declined":
            # Booked again after cancelling: a fresh place, the old cancellation no longer applies.
            record = _replace_participant(record, found, GroupParticipant(
                patient=person_ref(person.id, person.name or record.participants[found].patient.display)))
    _check_capacity(record, "/patients")
    writer.save(record, stored, current)


def _patients_removed(writer: _Writer, event: GroupAppointmentEvent) -> None:
    stored, current = writer.existing(event)
    _open(event, current)
    gone: set[int] = set()
    for index, person in enumerate(event.patients):
        gone.add(_participant_index(current, person.id, f"/patients/{index}/id"))
    participants = tuple(p for i, p in enumerate(current.participants) if i not in gone)
    writer.save(current.with_changes(participants=participants), stored, current)


def _check_times(start: str | None, end: str | None, location: str) -> None:
    if start and end and dt.datetime.fromisoformat(end) <= dt.datetime.fromisoformat(start):
        raise Unprocessable("GROUP_TIME_INVALID", f"the appointment would end ({end}) before it starts ({start})",
                            location=location)


def _changed(writer: _Writer, event: GroupAppointmentEvent) -> None:
    details = event.details
    assert details is not None
    stored, current = writer.existing(event)
    _open(event, current)
    changes: dict[str, object] = {}
    if details.type_code is not None:
        changes.update(visit_type_code=details.type_code, visit_type_display=details.type_name)
    for name in ("capacity", "online_bookable", "helfo_tariffs"):
        if getattr(details, name) is not None:
            changes[name] = getattr(details, name)
    if details.extra_fee is not None:
        changes["extra_fee"] = str(details.extra_fee)
    if details.start is not None:  # the schema makes start and end come together
        changes.update(start=_iso(details.start), end=_iso(details.end))
    if details.practitioner is not None:
        changes["practitioners"] = _practitioners(details.practitioner)
    if details.note is not None:
        changes["note"] = details.note or None  # an empty note clears it
    record = current.with_changes(**changes)
    _check_times(record.start, record.end, "/end")
    _check_capacity(record, "/capacity")
    writer.save(record, stored, current)


def _extended(writer: _Writer, event: GroupAppointmentEvent) -> None:
    details = event.details
    assert details is not None and details.end is not None
    stored, current = writer.existing(event)
    _open(event, current)
    if current.end is not None and details.end <= dt.datetime.fromisoformat(current.end):
        raise Unprocessable("GROUP_EXTEND_NOT_LONGER", f"extending must end later than {current.end}; "
                            "use 'changed' to shorten an appointment", location="/end")
    record = current.with_changes(end=_iso(details.end))
    _check_times(record.start, record.end, "/end")
    writer.save(record, stored, current)


def _copied(writer: _Writer, event: GroupAppointmentEvent) -> None:
    details = event.details
    assert details is not None and event.new_group_appointment_id is not None
    _, source = writer.existing(event)
    if source.status == "entered-in-error":
        raise Conflict("GROUP_CLOSED", f"group appointment {source.session_id} was deleted; there is nothing to "
                       "copy", location="/groupAppointmentId")
    new_id = event.new_group_appointment_id
    stored, current = writer.group(event.clinic.her_id, new_id)
    booked = tuple(GroupParticipant(patient=p.patient) for p in source.participants if p.status != "declined")
    record = GroupSessionRecord(
        id=group_appointment_id(event.clinic.her_id, new_id), system="no", status="booked", unit=source.unit,
        session_id=new_id, unit_name=source.unit_name, start=_iso(details.start), end=_iso(details.end),
        practitioners=source.practitioners, capacity=source.capacity, online_bookable=source.online_bookable,
        helfo_tariffs=source.helfo_tariffs, extra_fee=source.extra_fee, visit_type_code=source.visit_type_code,
        visit_type_display=source.visit_type_display, note=source.note, participants=booked,
        created_at=_iso(event.occurred_at), copied_from=source.session_id,
    )
    if current is not None and current != record:
        raise Conflict("GROUP_EXISTS", f"group appointment {new_id} already exists; a copy needs a new id",
                       location="/newGroupAppointmentId")
    writer.save(record, stored, current)


def _deleted(writer: _Writer, event: GroupAppointmentEvent) -> None:
    stored, current = writer.existing(event)
    if current.status == "entered-in-error":
        writer.unchanged(stored)
        return
    _open(event, current)
    assert current.created_at is not None
    elapsed = event.occurred_at - dt.datetime.fromisoformat(current.created_at)
    if elapsed < dt.timedelta(0):
        raise Unprocessable("GROUP_EVENT_BEFORE_CREATION", f"the delete ({event.occurred_at.isoformat()}) is "
                            f"dated before the appointment was created ({current.created_at})", location="/occurredAt")
    if elapsed > DELETE_WINDOW:
        minutes, seconds = divmod(int(elapsed.total_seconds()), 60)
        raise Conflict("GROUP_DELETE_TOO_LATE", f"group appointment {current.session_id} was created at "
                       f"{current.created_at}; it can be deleted only within five minutes of creation and this "
                       f"delete came {minutes} min {seconds} s after. Cancel it instead (by the practitioner: "
                       "prov)", location="/occurredAt")
    writer.save(current.with_changes(status="entered-in-error"), stored, current)


def _checked(writer: _Writer, event: GroupAppointmentEvent) -> None:
    assert event.patient is not None and event.at is not None
    stored, current = writer.existing(event)
    _open(event, current)
    index = _participant_index(current, event.patient, "/patient/id")
    participant = current.participants[index]
    if participant.status == "declined":
        raise Conflict("GROUP_PATIENT_CANCELLED", f"patient {event.patient.value} has cancelled their place",
                       location="/patient/id")
    at = event.at.isoformat()
    if event.action is GroupAction.CHECKED_IN:
        record = _replace_participant(current, index, participant.with_changes(checked_in=at, checked_out=None))
        if record.status == "booked":
            record = record.with_changes(status="arrived")
    else:
        if participant.checked_in is None:
            raise Conflict("GROUP_PATIENT_NOT_CHECKED_IN", f"patient {event.patient.value} was never checked in",
                           location="/patient/id")
        if event.at < dt.datetime.fromisoformat(participant.checked_in):
            raise Unprocessable("GROUP_TIME_INVALID", f"check-out {at} is before check-in {participant.checked_in}",
                                location="/at")
        record = _replace_participant(current, index, participant.with_changes(checked_out=at))
    writer.save(record, stored, current)


def _cancelled(writer: _Writer, event: GroupAppointmentEvent) -> None:
    cancellation = event.cancellation
    assert cancellation is not None
    stored, current = writer.existing(event)
    if cancellation.patient is None:
        if current.status == "cancelled" and current.cancelled_by == cancellation.by:
            writer.unchanged(stored)
            return
        _open(event, current)
        writer.save(current.with_changes(status="cancelled", cancelled_by=cancellation.by,
                                         cancellation_text=cancellation.reason), stored, current)
        return
    _open(event, current)
    index = _participant_index(current, cancellation.patient, "/patient/id")
    participant = current.participants[index].with_changes(
        status="declined", attendance="cancelled", cancelled_by=cancellation.by, deviation=cancellation.reason)
    writer.save(_replace_participant(current, index, participant), stored, current)


def _finished(writer: _Writer, event: GroupAppointmentEvent) -> None:
    assert event.finish is not None
    stored, current = writer.existing(event)
    _open(event, current)
    record, encounters = finish_session(current, event.finish, finished_at=event.occurred_at)
    writer.save(record, stored, current)
    for encounter in encounters:
        writer.save_latest(encounter)


_HANDLERS: Final[dict[GroupAction, Callable[[_Writer, GroupAppointmentEvent], None]]] = {
    GroupAction.CREATED: _created,
    GroupAction.PATIENTS_ADDED: _patients_added,
    GroupAction.PATIENTS_REMOVED: _patients_removed,
    GroupAction.CHANGED: _changed,
    GroupAction.MOVED: _changed,
    GroupAction.EXTENDED: _extended,
    GroupAction.COPIED: _copied,
    GroupAction.DELETED: _deleted,
    GroupAction.CHECKED_IN: _checked,
    GroupAction.CHECKED_OUT: _checked,
    GroupAction.FINISHED: _finished,
    GroupAction.CANCELLED: _cancelled,
}


def apply_group_event(session: StoreSession, event: GroupAppointmentEvent, mappings: MappingSet) -> list[Outcome]:
    writer = _Writer(session, mappings)
    _HANDLERS[event.action](writer, event)
    return writer.outcomes
