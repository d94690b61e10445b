"""Records of group sessions and of visits (encounters), shared by the Swedish and Norwegian paths.

A group session is one Appointment with a participant per patient. FHIR's participant status has
no "did not come", so attendance is kept per participant here and rendered as an extension, and the
visit that happened becomes an Encounter of its own.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar, Self

from gateway.domain.records import PersonRef

__all__ = ["BillCard", "BillingAccount", "EncounterRecord", "GroupParticipant", "GroupSessionRecord", "TariffLine"]


@dataclass(frozen=True, slots=True)
class TariffLine:
    """One tariff (takst) of a Norwegian bill card: code, NOK amount as a decimal string, count."""

    code: str
    amount: str
    count: int = 1


@dataclass(frozen=True, slots=True)
class BillCard:
    """A Norwegian bill card (regningskort) as the clinic's own receivable: what one patient owes the
    clinic for a finished group appointment. Not a HELFO claim (that is the draft settlement batch)."""

    status: str                       # "betales-senere" (pay later): every card of a finished group starts so
    amount_due: str                   # NOK decimal string the patient owes: the own fee or the patient's share


@dataclass(frozen=True, slots=True)
class BillingAccount:
    """The account (regnskap) a Norwegian group session is billed on, as the settlement batch needs it."""

    accounting_type: str              # a settlement AccountingType value
    organisation_number: str
    account_number: str
    sender_her_id: str
    owner: str
    message_type: str | None = None
    practice_type: str | None = None  # a settlement PracticeType value (NAV praksistype); None: by accounting type


@dataclass(frozen=True, slots=True)
class GroupParticipant:
    patient: PersonRef
    booking_id: str | None = None
    secondary_booking: bool = False   # Elvis' "X": a patient's booking that belongs to a group
    status: str = "accepted"          # FHIR participant status: accepted, declined, tentative, needs-action
    attendance: str | None = None     # None (not yet reported), attended, noshow, cancelled
    fee_rule: str | None = None       # e.g. U2 "Uteblivet besök, ska betala" for a no-show
    cancelled_by: str | None = None   # pat or prov (appointment-cancellation-reason)
    deviation: str | None = None      # the visit deviation noted for a cancellation
    checked_in: str | None = None     # ISO times of check-in / check-out during the session
    checked_out: str | None = None
    bill: bool | None = None          # Norwegian finish: a bill card is made (ticked) or not
    # Norwegian finish, per patient: what the bill card carries (HELFO needs the diagnosis).
    diagnosis_system: str | None = None   # ICPC-2 or ICD-10
    diagnosis_code: str | None = None
    diagnosis_display: str | None = None
    exemption_code: str | None = None     # garantikode / KodeEgenandel, e.g. F (frikort)
    patient_share: str | None = None      # egenandel, NOK decimal string
    tariffs: tuple[TariffLine, ...] = ()
    bill_card: BillCard | None = None     # Norwegian finish: made for every patient who came and stayed ticked

    def with_changes(self, **changes: Any) -> Self:
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True, slots=True)
class GroupSessionRecord:
    id: str
    system: str                       # "elvis" (Sweden) or "no" (Norwegian clinic system)
    status: str                       # Appointment status
    unit: PersonRef                   # HSA-id of the unit, or HER-id / orgnr of the Norwegian clinic
    session_id: str                   # the source system's id of this session
    unit_name: str | None = None
    group_id: str | None = None
    group_name: str | None = None
    session_number: int | None = None
    start: str | None = None
    end: str | None = None
    practitioners: tuple[PersonRef, ...] = ()
    capacity: int | None = None
    online_bookable: bool | None = None
    helfo_tariffs: bool | None = None
    extra_fee: str | None = None      # NOK, decimal string
    visit_type_code: str | None = None
    visit_type_display: str | None = None
    note: str | None = None
    participants: tuple[GroupParticipant, ...] = ()
    cancelled_by: str | None = None
    cancellation_text: str | None = None
    created_at: str | None = None     # when the source created it (the five-minute delete rule)
    accounting: str | None = None     # Norwegian accounting type chosen at finish
    actor: PersonRef | None = None    # the practitioner reported as treating (HPR)
    group_note: str | None = None     # Norwegian finish: the shared group note (journal note of each patient)
    finished_at: str | None = None
    billing_account: BillingAccount | None = None
    copied_from: str | None = None    # the source system's id of the session this one was copied from

    kind: ClassVar[str] = "group-session"
    resource_type: ClassVar[str] = "Appointment"

    def with_changes(self, **changes: Any) -> Self:
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True, slots=True)
class EncounterRecord:
    """Care that happened: one patient's visit or remote contact."""

    id: str
    status: str                       # finished, in-progress, cancelled…
    contact_mode: str                 # v3-ActCode: AMB (visit) or VR (telephone/video)
    patient: PersonRef
    unit: PersonRef
    unit_name: str | None = None
    appointment_id: str | None = None
    start: str | None = None
    end: str | None = None
    practitioners: tuple[PersonRef, ...] = ()
    visit_type_code: str | None = None     # Nybesök, Återbesök, Tele, …
    visit_type_display: str | None = None
    fee_code: str | None = None            # patient fee, e.g. P0
    payment_method: str | None = None      # e.g. Gena (general exemption)
    action_code: str | None = None         # åtgärdskod
    reason: str | None = None
    note: str | None = None
    source_id: str | None = None           # the source system's id of the visit/registration

    kind: ClassVar[str] = "encounter"
    resource_type: ClassVar[str] = "Encounter"
