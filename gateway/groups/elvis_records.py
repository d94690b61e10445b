"""Ids, references and store access shared by the Elvis rules (group sessions and telephone contacts).

Ids are uuid5 names in nordgate's one id namespace (:data:`gateway.domain.records.RESOURCE_IDS`), so the
same message always makes the same resource and no two kinds collide (each name has its own prefix).
A telephone contact's Appointment is the booking 1177 shows through crm:scheduling, so its id is
crm:scheduling's own :func:`~gateway.domain.booking_records.appointment_id` of unit and ``bookingId``.
"""

from __future__ import annotations

import uuid

from gateway.domain.booking import PersonName
from gateway.domain.booking_records import AppointmentRecord, appointment_id
from gateway.domain.group_records import EncounterRecord, GroupParticipant, GroupSessionRecord
from gateway.domain.groups import GroupLeader
from gateway.domain.records import RESOURCE_IDS, PersonRef
from gateway.ports.store import Stored
from gateway.primitives.errors import Unprocessable
from gateway.primitives.identifiers import Identifier
from gateway.state.writer import RecordWriter

__all__ = [
    "ElvisWriter",
    "appointment_id",
    "find_participant",
    "group_encounter_id",
    "group_session_id",
    "leader_ref",
    "person_ref",
    "replace_participant",
    "telephone_encounter_id",
]



def group_session_id(unit: str, session_id: str) -> str:
    return str(uuid.uuid5(RESOURCE_IDS, f"elvis-group-session|{unit}|{session_id}"))


def group_encounter_id(session_appointment: str, patient: PersonRef) -> str:
    """One Encounter per patient per session: the patient's visit of that session."""
    return str(uuid.uuid5(RESOURCE_IDS, f"elvis-group-encounter|{session_appointment}|{patient.kind}|{patient.value}"))


def telephone_encounter_id(appointment: str) -> str:
    return str(uuid.uuid5(RESOURCE_IDS, f"elvis-telephone-encounter|{appointment}"))


def person_ref(identifier: Identifier, name: PersonName | str | None = None) -> PersonRef:
    display = name.text if isinstance(name, PersonName) else name
    return PersonRef(kind=identifier.kind.value, value=identifier.value, display=display or None)


def leader_ref(leader: GroupLeader) -> PersonRef:
    return person_ref(leader.hsa_id, leader.name)


class ElvisWriter(RecordWriter):
    """Typed reads of the records the Elvis rules change."""

    def group_session(self, unit: str, session_id: str, *, location: str) -> tuple[Stored, GroupSessionRecord]:
        """The stored session, or 422 ``SESSION_UNKNOWN``: the message is understood but names no session
        the gateway has (the same reasoning as crm:scheduling's ``BOOKING_UNKNOWN``)."""
        stored, record = self.current("Appointment", group_session_id(unit, session_id))
        if stored is None or not isinstance(record, GroupSessionRecord):
            raise Unprocessable("SESSION_UNKNOWN", f"no group session {session_id} at {unit}; send its "
                                "GroupSessionBooking first", location=location)
        return stored, record

    def maybe_session(self, id: str) -> tuple[Stored | None, GroupSessionRecord | None]:
        stored, record = self.current("Appointment", id)
        assert record is None or isinstance(record, GroupSessionRecord)
        return stored, record

    def encounter(self, id: str) -> tuple[Stored | None, EncounterRecord | None]:
        stored, record = self.current("Encounter", id)
        assert record is None or isinstance(record, EncounterRecord)
        return stored, record

    def appointment(self, id: str) -> tuple[Stored | None, AppointmentRecord | None]:
        stored, record = self.current("Appointment", id)
        assert record is None or isinstance(record, AppointmentRecord)
        return stored, record


def find_participant(record: GroupSessionRecord, patient: Identifier, *, location: str) -> int:
    """Index of the patient's participation, or 422 ``PARTICIPANT_UNKNOWN``."""
    for index, participant in enumerate(record.participants):
        if (participant.patient.kind, participant.patient.value) == (patient.kind.value, patient.value):
            return index
    raise Unprocessable("PARTICIPANT_UNKNOWN", f"patient {patient.value} is not booked in group session "
                        f"{record.session_id}", location=location)


def replace_participant(record: GroupSessionRecord, index: int, participant: GroupParticipant) -> GroupSessionRecord:
    participants = list(record.participants)
    participants[index] = participant
    return record.with_changes(participants=tuple(participants))
