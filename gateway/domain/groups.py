"""Canonical events of group sessions, attendance, visit registration and telephone contacts.

What the Elvis group-visit adapter produces (the Elvis BUP group and telephone-contact routines) and the rules in
:mod:`gateway.groups.elvis_service` consume. No FHIR and no XML; times are timezone-aware. Every event
names its ``source`` (the sending system) and its ``location`` inside the message, for error reports.

A group session is keyed by its care unit (HSA-id) and the source system's session id, as a
crm:scheduling booking is keyed by unit and ``bookingId``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from gateway.domain.booking import LocalCode, PersonName
from gateway.primitives.identifiers import Identifier

__all__ = [
    "NO_SHOW_VISIT_TYPE",
    "TELEPHONE_FEE",
    "TELEPHONE_PAYMENT",
    "TELEPHONE_VISIT_TYPE",
    "AttendanceReported",
    "BookedPatient",
    "CancelledBy",
    "GroupEvent",
    "GroupLeader",
    "GroupSessionBooked",
    "ParticipantCancelled",
    "PatientAttendance",
    "TelephoneContactReported",
    "VisitRegistered",
]

# Elvis codes the rules depend on (the Elvis BUP group routine: U2 "Uteblivet besök, ska betala"; the
# telephone-contact routine: a telephone
# contact is registered as visit type Tele, patient fee P0, payment method Gena).
NO_SHOW_VISIT_TYPE = "U2"
TELEPHONE_VISIT_TYPE = "Tele"
TELEPHONE_FEE = "P0"
TELEPHONE_PAYMENT = "Gena"


@dataclass(frozen=True, slots=True)
class GroupLeader:
    """A group leader (or the caller of a telephone contact): HSA-id and name."""

    hsa_id: Identifier
    name: str | None = None


@dataclass(frozen=True, slots=True)
class BookedPatient:
    """One patient's own booking inside a group session."""

    patient: Identifier
    booking_id: str
    name: PersonName | None = None
    secondary_booking: bool = False  # Elvis' "X": the booking belongs to the group's primary booking
    location: str = "/"


@dataclass(frozen=True, slots=True)
class GroupSessionBooked:
    """One session of a group with its complete list of booked patients (the current truth)."""

    source: str
    unit: Identifier
    group_id: str
    group_name: str
    session_id: str
    start: dt.datetime
    end: dt.datetime
    capacity: int
    patients: tuple[BookedPatient, ...]
    unit_name: str | None = None
    session_number: int | None = None
    leaders: tuple[GroupLeader, ...] = ()
    visit_type: LocalCode | None = None
    location: str = "/"

    @property
    def key(self) -> tuple[str, str]:
        return self.unit.value, self.session_id


@dataclass(frozen=True, slots=True)
class PatientAttendance:
    patient: Identifier
    attended: bool
    location: str = "/"


@dataclass(frozen=True, slots=True)
class AttendanceReported:
    """What the group leaders report after a session: who came and who did not."""

    source: str
    unit: Identifier
    session_id: str
    attendance: tuple[PatientAttendance, ...]
    reported_by: tuple[GroupLeader, ...] = ()
    location: str = "/"


@dataclass(frozen=True, slots=True)
class VisitRegistered:
    """The secretary's registration of one patient's visit of a session (the day after)."""

    source: str
    unit: Identifier
    session_id: str
    patient: Identifier
    visit_type: LocalCode
    visit_id: str | None = None
    fee_code: str | None = None
    payment_method: str | None = None
    action_code: str | None = None
    reason: str | None = None
    location: str = "/"


class CancelledBy(StrEnum):
    PATIENT = "patient"
    GUARDIAN = "guardian"   # vårdnadshavare: BUP's patients are children
    UNIT = "unit"


@dataclass(frozen=True, slots=True)
class ParticipantCancelled:
    """A patient's place in a session cancelled, with the visit deviation (besöksavvikelse)."""

    source: str
    unit: Identifier
    session_id: str
    patient: Identifier
    cancelled_by: CancelledBy
    deviation: str
    location: str = "/"


@dataclass(frozen=True, slots=True)
class TelephoneContactReported:
    """A booked telephone contact (visit type Tele) and whether the patient answered.

    Errand calls (booking, prescription renewal, call-back from a phone queue) never become this
    event: the adapter refuses them, they are not telephone contacts (the telephone-contact routine).
    """

    source: str
    unit: Identifier
    booking_id: str
    patient: Identifier
    caller: GroupLeader
    start: dt.datetime
    end: dt.datetime
    answered: bool
    unit_name: str | None = None
    patient_name: PersonName | None = None
    contact_id: str | None = None
    action_code: str | None = None
    reason: str | None = None
    location: str = "/"


# Every event of the Elvis group-visit format (what its adapter returns).
GroupEvent = (GroupSessionBooked | AttendanceReported | VisitRegistered | ParticipantCancelled
              | TelephoneContactReported)
