"""The HELFO claim a finished Norwegian group appointment with HELFO tariffs yields: its bill cards
(regningskort) as a draft settlement batch in exactly the JSON format ``POST /settlements`` takes
(``schemas/settlement-batch.schema.json``).

the clinic system's Gruppetimer guide: finishing makes a bill card per ticked patient with the status "Betales
senere" (pay
later), to be paid (or gathered into a samleregning) afterwards; the cards themselves, the clinic's
receivables, are :mod:`gateway.groups.bill_cards`. How the claim maps:

- "pay later" is ``patientSharePaid: false`` with the note ``Betales senere``: the batch format
  has no status field, and the share has indeed not been paid. A clinic marks a bill paid
  (``patientSharePaid: true``) before it sends the batch, because the settlement rules claim an
  unpaid share from HELFO;
- one bill per patient who attended and stayed ticked; a no-show or an unticked patient gets none;
- account: accounting type from ``finished.accounting``, the rest (practice type too, when given)
  from ``finished.account``; the actor is the one practitioner, the treating practitioner of every
  bill and the signer when the accounting type signs with a personal card (standard, kommunalt
  enkeltoppgjør);
- tariffs, exemption code (garantikode, e.g. F frikort) as the ``finished`` event gave them (see
  :mod:`gateway.groups.no_finish`); the patient's share is the group's extra fee unless the event
  named another (an exempted patient pays nothing of it: ``patientSharePaid`` stays false and the
  settlement rules say who pays);
- the problemstilling (diagnosis) by HELFO's rule for the account's practice type
  (:func:`gateway.domain.settlement.diagnosis_rule`): where it is required, every billed patient must
  have one, else the whole draft is refused (422 ``GROUP_DIAGNOSIS_MISSING``, one issue per patient,
  named by FNR/DNR as on the bills); where it is forbidden (kommunal fysioterapi) it stays in the
  journal (the Encounter) and off the bill;
- names are left out: the events carry one display name, and splitting it into given and family
  name could put a wrong family name into a claim; HELFO identifies people by FNR/DNR and HPR;
- ``guid`` and ``billNumber`` are derived from (appointment, patient): the same finished
  appointment always yields the same batch, so a resend is recognisable.
"""

from __future__ import annotations

from typing import Any, Final

from gateway.domain.group_records import BillingAccount, GroupParticipant, GroupSessionRecord
from gateway.domain.parties import CertificateKind
from gateway.domain.settlement import (
    AccountingType,
    DiagnosisRule,
    PracticeType,
    default_practice_type,
    diagnosis_rule,
)
from gateway.groups.bill_cards import bill_guid, bill_number
from gateway.primitives.errors import Conflict, Issue, Unprocessable

__all__ = ["PAY_LATER_NOTE", "draft_batch", "practice_type_of"]

JSON = dict[str, Any]
PAY_LATER_NOTE: Final = "Betales senere"


def practice_type_of(account: BillingAccount) -> PracticeType:
    """The practice type the bills are claimed for: the account's, else the settlement's default
    for its accounting type (the same default ``POST /settlements`` applies)."""
    if account.practice_type is not None:
        return PracticeType(account.practice_type)
    return default_practice_type(AccountingType(account.accounting_type))


def _bill(record: GroupSessionRecord, participant: GroupParticipant, actor_hpr: str, rule: DiagnosisRule) -> JSON:
    guid = bill_guid(record.id, participant.patient.value)
    bill: JSON = {
        "guid": str(guid),
        "billNumber": bill_number(guid),
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
    if rule is not DiagnosisRule.FORBIDDEN and participant.diagnosis_system and participant.diagnosis_code:
        diagnosis = {"system": participant.diagnosis_system, "code": participant.diagnosis_code}
        if participant.diagnosis_display:
            diagnosis["display"] = participant.diagnosis_display
        bill["diagnoses"] = [diagnosis]
    bill["note"] = PAY_LATER_NOTE
    return bill


def _require_diagnoses(record: GroupSessionRecord, billed: list[GroupParticipant], practice: PracticeType) -> None:
    missing = [Issue("GROUP_DIAGNOSIS_MISSING", f"patient {p.patient.value} has no problemstilling (diagnosis); "
                     f"practice type {practice.value} requires one on every HELFO bill", f"/bills/{index}/diagnoses")
               for index, p in enumerate(billed) if not (p.diagnosis_system and p.diagnosis_code)]
    if missing:
        raise Unprocessable("GROUP_DIAGNOSIS_MISSING", f"{len(missing)} patient(s) of group appointment "
                            f"{record.session_id} have no problemstilling, which practice type {practice.value} "
                            "requires for HELFO; settle them with a batch of your own that names it",
                            location=missing[0].location, issues=missing)


def draft_batch(record: GroupSessionRecord) -> JSON:
    """The draft batch; 409 ``GROUP_NOT_FINISHED`` before finish (or when cancelled or deleted),
    409 ``GROUP_NOT_HELFO`` for a group without HELFO tariffs, 409 ``GROUP_NO_BILLS`` when nobody
    is billed (a batch needs at least one bill), 422 ``GROUP_DIAGNOSIS_MISSING`` when the practice
    type requires a problemstilling some billed patient lacks."""
    if record.status not in ("fulfilled", "noshow"):
        raise Conflict("GROUP_NOT_FINISHED", f"group appointment {record.session_id} is {record.status}; "
                       "bill cards are made when it is finished")
    account, actor = record.billing_account, record.actor
    assert account is not None and actor is not None and record.start is not None
    if not record.helfo_tariffs:
        raise Conflict("GROUP_NOT_HELFO", f"group appointment {record.session_id} does not use HELFO tariffs; "
                       "its bill cards are paid by the patients and never settled with HELFO (see "
                       "GET /group-appointments/{id}/bill-cards)")
    billed = [p for p in record.participants if p.attendance == "attended" and p.bill]
    if not billed:
        raise Conflict("GROUP_NO_BILLS", f"nobody on group appointment {record.session_id} got a bill card "
                       "(nobody came, or every patient was unticked)")
    practice = practice_type_of(account)
    rule = diagnosis_rule(practice)
    if rule is DiagnosisRule.REQUIRED:
        _require_diagnoses(record, billed, practice)
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
    if account.practice_type:
        batch["account"]["practiceType"] = account.practice_type
    if AccountingType(account.accounting_type).signer_kind is CertificateKind.PERSONAL:
        batch["signingPractitionerHpr"] = actor.value
    batch["bills"] = [_bill(record, participant, actor.value, rule) for participant in billed]
    return batch
