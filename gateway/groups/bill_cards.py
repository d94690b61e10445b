"""Bill cards (regningskort) of finished Norwegian group appointments: the clinic's own receivables.

the clinic system's Gruppetimer guide: finishing a group makes a bill card for every patient who came and stayed
ticked, with the
status "Betales senere" (pay later), so that the clinic takes payment later or gathers the cards into
one collective invoice (samleregning) per patient. A card is not a HELFO claim; for a group with
HELFO tariffs the claim is the draft settlement batch (:mod:`gateway.groups.no_bills`), and card and
claim share one guid and bill number. What the patient owes on the card:

- a group without HELFO tariffs: its own fee, the extra fee ("Ev. tilleggsgebyr"; 0.00 without one);
- a group with HELFO tariffs: the patient's share of the bill (by default the extra fee), and nothing
  with an exemption code (garantikode: frikort and the like), because then the patient pays no share.

A card is kept on its participant of the stored group Appointment, written in the transaction of the
``finished`` event, and found per patient through the Appointment's search token ``bill-card``
(``<status>|<FNR/DNR>``), so a listing pages inside the store's query like any search. Group
appointments finished before bill cards existed have none.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any, Final

from gateway.domain.group_records import BillCard, GroupParticipant, GroupSessionRecord
from gateway.fhir.kinds import decode_stored
from gateway.fhir.tokens import BILL_CARD_PARAMETER
from gateway.ports.store import Condition, Store
from gateway.primitives.identifiers import Identifier

__all__ = ["PAY_LATER", "bill_card", "bill_card_json", "bill_guid",
           "bill_number", "group_bill_cards", "patient_bill_cards"]

JSON = dict[str, Any]
PAY_LATER: Final = "betales-senere"
_ZERO: Final = "0.00"
_BILLS: Final = uuid.UUID("0b1d7a52-9f3e-5c6a-8e21-6e6f2d62696c")  # namespace of group bill guids


def bill_guid(appointment_id: str, patient: str) -> uuid.UUID:
    return uuid.uuid5(_BILLS, f"no-group-bill|{appointment_id}|{patient}")


def bill_number(guid: uuid.UUID) -> str:
    return "G" + guid.hex[:16].upper()


def bill_card(record: GroupSessionRecord, patient_share: str | None, exemption_code: str | None) -> BillCard:
    """The card of one billed patient of ``record`` (the rule in the module docstring)."""
    if not record.helfo_tariffs:
        due = record.extra_fee or _ZERO
    else:
        due = _ZERO if exemption_code is not None else patient_share or _ZERO
    return BillCard(status=PAY_LATER, amount_due=f"{Decimal(due):.2f}")


def bill_card_json(record: GroupSessionRecord, participant: GroupParticipant) -> JSON:
    card = participant.bill_card
    assert card is not None
    guid = bill_guid(record.id, participant.patient.value)
    found: JSON = {
        "id": str(guid), "billNumber": bill_number(guid), "status": card.status, "amountDue": card.amount_due,
        "patient": {"id": participant.patient.value},
        "dateTime": record.start,
        "appointment": {"id": record.id, "groupAppointmentId": record.session_id, "clinicHerId": record.unit.value},
        "helfoTariffs": bool(record.helfo_tariffs),
    }
    if participant.exemption_code is not None:
        found["exemptionCode"] = participant.exemption_code
    return found


def group_bill_cards(record: GroupSessionRecord) -> JSON:
    """Every bill card of one group appointment (none before it is finished)."""
    cards = [bill_card_json(record, p) for p in record.participants if p.bill_card is not None]
    return {"appointment": {"id": record.id, "groupAppointmentId": record.session_id,
                            "clinicHerId": record.unit.value, "status": record.status},
            "billCards": cards}


def patient_bill_cards(store: Store, patient: Identifier, *, scope: Condition | None, count: int,
                       offset: int) -> JSON:
    """One page of the patient's bill cards still to be paid ("betales senere"), at most one per group
    appointment, in the store's order; ``scope`` limits them to the caller's clinics."""
    status = PAY_LATER
    conditions = [Condition(BILL_CARD_PARAMETER, "eq", (f"{status}|{patient.value}",))]
    if scope is not None:
        conditions.append(scope)
    page = store.search("Appointment", conditions, count=count, offset=offset)
    cards: list[JSON] = []
    for stored in page.items:
        record = decode_stored(stored)
        if not isinstance(record, GroupSessionRecord):
            continue
        for participant in record.participants:
            card = participant.bill_card
            if participant.patient.value == patient.value and card is not None and card.status == status:
                cards.append(bill_card_json(record, participant))
    return {"patient": {"id": patient.value}, "status": status, "total": page.total, "offset": offset,
            "billCards": cards}
