"""The bill cards (regningskort) a finished Norwegian group appointment yields, as a draft settlement
batch in exactly the JSON format ``POST /settlements`` takes (``schemas/settlement-batch.schema.json``).

Seed 000: finishing makes a bill card per ticked patient with the status "Betales senere" (pay
later), to be paid (or gathered into a samleregning) afterwards. How that maps:

- "pay later" is ``patientSharePaid: false`` with the note ``Betales senere``: the batch format
  has no status field, and the share has indeed not been paid. A clinic marks a bill paid
  (``patientSharePaid: true``) before it sends the batch, because the settlement rules claim an
  unpaid share from HELFO;
- one bill per patient who attended and stayed ticked; a no-show or an unticked patient gets none;
- account: accounting type from ``finished.accounting``, the rest from ``finished.account``; the
  actor is the one practitioner, the treating practitioner of every bill and the signer when the
  accounting type signs with a personal card (standard, kommunalt enkeltoppgjør);
- tariffs, patient share, exemption code (garantikode, e.g. F frikort) and diagnosis as the
  ``finished`` event gave them (see :mod:`gateway.groups.no_finish`); the extra fee is the clinic's
  own charge to the patient and never part of a HELFO claim;
- names are left out: the events carry one display name, and splitting it into given and family
  name could put a wrong family name into a claim; HELFO identifies people by FNR/DNR and HPR;
- ``guid`` and ``billNumber`` are derived from (appointment, patient): the same finished
  appointment always yields the same batch, so a resend is recognisable.
"""

from __future__ import annotations

import uuid
from typing import Any, Final

from gateway.errors import Conflict
from gateway.groups.records import GroupParticipant, GroupSessionRecord

__all__ = ["PAY_LATER_NOTE", "bill_guid", "draft_batch"]

JSON = dict[str, Any]
PAY_LATER_NOTE: Final = "Betales senere"
_BILLS: Final = uuid.UUID("0b1d7a52-9f3e-5c6a-8e21-6e6f2d62696c")  # namespace of group bill guids
_PERSONAL_SIGNER: Final = frozenset({"standard", "kommunalt-enkeltoppgjor-lege"})


def bill_guid(appointment_id: str, patient: str) -> uuid.UUID:
    return uuid.uuid5(_BILLS, f"no-group-bill|{appointment_id}|{patient}")


def _bill(record: GroupSessionRecord, participant: GroupParticipant, actor_hpr: str) -> JSON:
    guid = bill_guid(record.id, participant.patient.value)
    bill: JSON = {
        "guid": str(guid),
        "billNumber": "G" + guid.hex[:16].upper(),
        "dateTime": record.start,
        "patient": {"id": participant.patient.value},
        "practitionerHpr": actor_hpr,
        "tariffs": [{"code": t.code, "amount": t.amount, "count": t.count} for t in participant.tariffs],
        "patientSharePaid": False,
    }
    if participant.patient_share is not None:
        bill["patientShare"] = participant.patient_share
    if participant.exemption_code is not None:
        bill["exemptionCode"] = participant.exemption_code
    if participant.diagnosis_system and participant.diagnosis_code:
        diagnosis = {"system": participant.diagnosis_system, "code": participant.diagnosis_code}
        if participant.diagnosis_display:
            diagnosis["display"] = participant.diagnosis_display
        bill["diagnoses"] = [diagnosis]
    bill["note"] = PAY_LATER_NOTE
    return bill


def draft_batch(record: GroupSessionRecord) -> JSON:
    """The draft batch; 409 ``GROUP_NOT_FINISHED`` before finish (or when cancelled or deleted),
    409 ``GROUP_NOT_HELFO`` for a group without HELFO tariffs, 409 ``GROUP_NO_BILLS`` when nobody
    is billed (a batch needs at least one bill)."""
    if record.status not in ("fulfilled", "noshow"):
        raise Conflict("GROUP_NOT_FINISHED", f"group appointment {record.session_id} is {record.status}; "
                       "bill cards are made when it is finished")
    account, actor = record.billing_account, record.actor
    assert account is not None and actor is not None and record.start is not None
    if not record.helfo_tariffs:
        raise Conflict("GROUP_NOT_HELFO", f"group appointment {record.session_id} does not use HELFO tariffs; "
                       "its bill cards are paid by the patients and never settled with HELFO")
    billed = [p for p in record.participants if p.attendance == "attended" and p.bill]
    if not billed:
        raise Conflict("GROUP_NO_BILLS", f"nobody on group appointment {record.session_id} got a bill card "
                       "(nobody came, or every patient was unticked)")
    batch: JSON = {
        "account": {
            "accountingType": account.accounting_type,
            "organisationNumber": account.organisation_number,
            "accountNumber": account.account_number,
            "senderHerId": account.sender_her_id,
            "owner": account.owner,
        },
        "practitioners": [{"hpr": actor.value}],
    }
    if account.message_type:
        batch["account"]["messageType"] = account.message_type
    if account.accounting_type in _PERSONAL_SIGNER:
        batch["signingPractitionerHpr"] = actor.value
    batch["bills"] = [_bill(record, participant, actor.value) for participant in billed]
    return batch
