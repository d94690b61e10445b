"""Canonical Norwegian group-appointment events (gruppetimer, the clinic system's Gruppetimer guide): what the clinic
system's
JSON events become.

One :class:`GroupAppointmentEvent` per message; which of its optional parts are set depends on the
action (the adapter guarantees it). Times are timezone-aware, money is :class:`~decimal.Decimal`,
identifiers are already classified and their check digits verified.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from gateway.primitives.identifiers import Identifier

__all__ = [
    "AttendanceEntry",
    "BillingAccountData",
    "Clinic",
    "Diagnosis",
    "Finish",
    "GroupAction",
    "GroupAppointmentEvent",
    "GroupCancellation",
    "Person",
    "SessionDetails",
    "Tariff",
]


class GroupAction(StrEnum):
    CREATED = "created"
    PATIENTS_ADDED = "patients-added"
    PATIENTS_REMOVED = "patients-removed"
    CHANGED = "changed"
    MOVED = "moved"
    EXTENDED = "extended"
    COPIED = "copied"
    DELETED = "deleted"
    CHECKED_IN = "checked-in"
    CHECKED_OUT = "checked-out"
    FINISHED = "finished"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class Clinic:
    her_id: str
    orgnr: str | None = None
    name: str | None = None


@dataclass(frozen=True, slots=True)
class Person:
    """A patient (FNR/DNR) or a practitioner (HPR) with an optional display name."""

    id: Identifier
    name: str | None = None


@dataclass(frozen=True, slots=True)
class SessionDetails:
    """What ``created`` sets and ``changed`` may change; ``None`` means "not said" (unchanged).
    An empty ``note`` clears the note."""

    type_code: str | None = None
    type_name: str | None = None
    capacity: int | None = None
    online_bookable: bool | None = None
    helfo_tariffs: bool | None = None
    extra_fee: Decimal | None = None
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    practitioner: Person | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Tariff:
    code: str
    amount: Decimal
    count: int = 1


@dataclass(frozen=True, slots=True)
class Diagnosis:
    system: str  # ICPC-2 or ICD-10
    code: str
    display: str | None = None


@dataclass(frozen=True, slots=True)
class AttendanceEntry:
    """One patient's line in the finish dialogue. Unlisted patients keep the defaults: attended
    and billed (the seed: every patient is ticked until staff untick)."""

    patient: Identifier
    attended: bool = True
    bill: bool = True
    diagnosis: Diagnosis | None = None
    exemption_code: str | None = None
    patient_share: Decimal | None = None
    tariffs: tuple[Tariff, ...] | None = None  # None: the appointment's tariffs


@dataclass(frozen=True, slots=True)
class BillingAccountData:
    organisation_number: str
    account_number: str
    sender_her_id: str
    owner: str
    message_type: str | None = None
    practice_type: str | None = None  # a settlement PracticeType value (NAV praksistype); None: by accounting type


@dataclass(frozen=True, slots=True)
class Finish:
    accounting: str                   # a settlement AccountingType value
    actor: Person                     # HPR of the practitioner reported as treating
    account: BillingAccountData
    group_note: str | None = None
    tariffs: tuple[Tariff, ...] = ()  # for every billed patient unless their line names its own
    patient_share: Decimal | None = None
    attendance: tuple[AttendanceEntry, ...] = ()


@dataclass(frozen=True, slots=True)
class GroupCancellation:
    by: str                           # "prov" (the practitioner) or "pat" (on the patient's behalf)
    patient: Identifier | None = None  # None: the whole appointment
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class GroupAppointmentEvent:
    action: GroupAction
    group_appointment_id: str
    occurred_at: dt.datetime
    clinic: Clinic
    source: str = "no-clinic"
    details: SessionDetails | None = None          # created, changed, moved, extended, copied
    patients: tuple[Person, ...] = ()               # patients-added, patients-removed
    patient: Identifier | None = None               # checked-in, checked-out
    at: dt.datetime | None = None                   # checked-in, checked-out
    new_group_appointment_id: str | None = None     # copied
    finish: Finish | None = None
    cancellation: GroupCancellation | None = None
    location: str = "/"
