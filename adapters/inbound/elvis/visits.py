"""VisitRegistration and TelephoneContact: care that was (or was not) given, as registered in Elvis.

Contract rules enforced here:

- a visit registration names the session, and per visit the patient and the visit type code; one
  patient once per message;
- a visit of type Tele is registered with patient fee P0 and payment method Gena (the telephone-contact routine); absent
  values are filled in with those, other values are refused (``TELEPHONE_FEE_INVALID``);
- a telephone contact is booked (``bookingId``), with the patient, the caller (HSA-id), the booked
  time and the outcome ``answered`` or ``no-answer``; the SMS reminder is off for telephone bookings
  (``SMS_REMINDER_NOT_ALLOWED``);
- a call about booking, about prescription renewal, or a call-back from a phone queue is not a
  telephone contact and is refused whole (``NOT_A_TELEPHONE_CONTACT``), quoting the routine.
"""

from __future__ import annotations

from lxml import etree

from adapters.inbound.crm_scheduling.elements import boolean, children, required_text, text
from adapters.inbound.crm_scheduling.timeslot import hsa_id, read_person_name
from adapters.inbound.elvis.common import patient, required_times, unique, unit
from gateway.domain.booking import LocalCode
from gateway.domain.groups import (
    TELEPHONE_FEE,
    TELEPHONE_PAYMENT,
    TELEPHONE_VISIT_TYPE,
    GroupEvent,
    GroupLeader,
    TelephoneContactReported,
    VisitRegistered,
)
from gateway.primitives.errors import Unprocessable
from gateway.primitives.identifiers import Identifier

__all__ = ["CALL_KINDS", "ERRAND_RULES", "telephone_contact", "visit_registration"]

TELEPHONE_CONTACT = "telephone-contact"
# Calls that are not telephone contacts, each with the routine's own words (the telephone-contact routine).
ERRAND_RULES = {
    "booking": "Telefonsamtal avseende tidbokning och receptförnyelse räknas inte som en telefonkontakt "
               "och ska inte registreras.",
    "prescription-renewal": "Telefonsamtal avseende tidbokning och receptförnyelse räknas inte som en "
                            "telefonkontakt och ska inte registreras. Receptförnyelse hanteras via "
                            "bevakningsfunktionen JO20.",
    "phone-queue-callback": "Då Hosp ringer upp patient från telefonkö görs en utanbesöks-anteckning. "
                            "Detta ska inte registreras som en telefonkontakt.",
}
CALL_KINDS = (TELEPHONE_CONTACT, *ERRAND_RULES)
_OUTCOMES = {"answered": True, "no-answer": False}


def _telephone_codes(visit: etree._Element, *, path: str) -> tuple[str, str]:
    fee = text(visit, "patientFeeCode", path=path) or TELEPHONE_FEE
    payment = text(visit, "paymentMethod", path=path) or TELEPHONE_PAYMENT
    if (fee, payment) != (TELEPHONE_FEE, TELEPHONE_PAYMENT):
        raise Unprocessable(
            "TELEPHONE_FEE_INVALID",
            f"a telephone contact (visit type Tele) is registered with patient fee {TELEPHONE_FEE} and payment "
            f"method {TELEPHONE_PAYMENT} (general exemption), not {fee}/{payment}", location=path)
    return fee, payment


def _visit(visit: etree._Element, source: str, *, path: str, unit_id: Identifier, session_id: str) -> VisitRegistered:
    code = required_text(visit, "visitTypeCode", path=path, why="e.g. Nybesök, Återbesök, Tele or U2")
    fee: str | None = text(visit, "patientFeeCode", path=path)
    payment: str | None = text(visit, "paymentMethod", path=path)
    if code == TELEPHONE_VISIT_TYPE:
        fee, payment = _telephone_codes(visit, path=path)
    return VisitRegistered(
        source=source, unit=unit_id, session_id=session_id, patient=patient(visit, path=path),
        visit_type=LocalCode(code, text(visit, "visitTypeName", path=path)),
        visit_id=text(visit, "visitId", path=path), fee_code=fee, payment_method=payment,
        action_code=text(visit, "actionCode", path=path), reason=text(visit, "reason", path=path), location=path,
    )


def visit_registration(root: etree._Element, source: str, path: str) -> list[GroupEvent]:
    unit_id = unit(root, path=path)
    session_id = required_text(root, "sessionId", path=path, why="it names the session whose visits are registered")
    visits = children(root, "visit")
    if not visits:
        raise Unprocessable("ELEMENT_MISSING", "a visit registration holds at least one visit",
                            location=f"{path}/visit")
    events = [_visit(element, source, path=f"{path}/visit[{index}]", unit_id=unit_id, session_id=session_id)
              for index, element in enumerate(visits, start=1)]
    unique([(event.patient, event.location) for event in events], what="the registration")
    return list[GroupEvent](events)


def _refuse_errand(root: etree._Element, path: str) -> None:
    kind = text(root, "callKind", path=path) or TELEPHONE_CONTACT
    if kind not in CALL_KINDS:
        raise Unprocessable("CALL_KIND_UNKNOWN", f"callKind is one of {', '.join(CALL_KINDS)}, not {kind!r}",
                            location=f"{path}/callKind")
    if kind in ERRAND_RULES:
        raise Unprocessable(
            "NOT_A_TELEPHONE_CONTACT",
            f"a {kind} call is not a telephone contact and is not registered; the routine says: "
            f"\u201c{ERRAND_RULES[kind]}\u201d", location=f"{path}/callKind")


def telephone_contact(root: etree._Element, source: str, path: str) -> list[GroupEvent]:
    _refuse_errand(root, path)
    if boolean(root, "smsReminder", path=path):
        raise Unprocessable("SMS_REMINDER_NOT_ALLOWED",
                            "the SMS reminder is switched off for a booked telephone contact (the"
                            " telephone-contact routine)",
                            location=f"{path}/smsReminder")
    outcome = required_text(root, "outcome", path=path, why="did the patient answer (answered) or not (no-answer)")
    if outcome not in _OUTCOMES:
        raise Unprocessable("OUTCOME_UNKNOWN", f"outcome is answered or no-answer, not {outcome!r}",
                            location=f"{path}/outcome")
    start, end = required_times(root, path=path, why="a telephone contact is booked for a time")
    caller = hsa_id(required_text(root, "performer", path=path, why="it names who calls the patient"),
                    location=f"{path}/performer")
    return [TelephoneContactReported(
        source=source, unit=unit(root, path=path),
        booking_id=required_text(root, "bookingId", path=path,
                                 why="a telephone contact is booked, so the patient sees it on 1177"),
        patient=patient(root, path=path), caller=GroupLeader(caller, text(root, "performerName", path=path)),
        start=start, end=end, answered=_OUTCOMES[outcome],
        unit_name=text(root, "healthcare_facility_name", path=path), patient_name=read_person_name(root, path=path),
        contact_id=text(root, "contactId", path=path), action_code=text(root, "actionCode", path=path),
        reason=text(root, "reason", path=path), location=path,
    )]
