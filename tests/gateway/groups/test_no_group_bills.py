"""What a finished Norwegian group appointment bills (the clinic system's Gruppetimer guide): the draft settlement
batch of a HELFO
group, the problemstilling its practice type asks for, and the bill cards ("Betales senere") every
billed patient gets, with or without HELFO tariffs, listed per patient for a samleregning."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

import orjson
import pytest

from gateway.domain.settlement import (
    AccountingType,
    DiagnosisRule,
    ExemptionCode,
    PracticeType,
    diagnosis_rule,
)
from gateway.groups.bill_cards import PAY_LATER, bill_guid, group_bill_cards, patient_bill_cards
from gateway.groups.no_bills import PAY_LATER_NOTE, draft_batch
from gateway.groups.no_service import group_appointment_id
from gateway.ingest.pipeline import BookingIngest
from gateway.ports.store import Condition
from gateway.primitives.errors import Unprocessable
from gateway.primitives.identifiers import classify_norwegian_person
from gateway.primitives.resources import load_json_schema
from gateway.settlement.batch import parse_batch
from gateway.settlement.rules import check
from tests.adapters.inbound.no_group.events import ACCOUNT, CLINIC, P1, P2, P3, P4, finished
from tests.gateway.groups.no_group_steps import APPOINTMENT, booked, conflict_of, push, record, refused

L03 = {"system": "ICPC-2", "code": "L03", "display": "Korsryggsymptomer/plager"}


def diagnosis_missing(ingest: BookingIngest) -> Unprocessable:
    with pytest.raises(Unprocessable) as caught:
        draft_batch(record(ingest))
    assert caught.value.code == "GROUP_DIAGNOSIS_MISSING"
    return caught.value


def cards(ingest: BookingIngest, appointment: str = APPOINTMENT) -> dict[str, dict[str, Any]]:
    return {card["patient"]["id"]: card for card in group_bill_cards(record(ingest, appointment))["billCards"]}


# ------------------------------------------------------------------ the draft batch of a HELFO group


def test_bills_are_a_batch_post_settlements_accepts(ingest: BookingIngest) -> None:
    booked(ingest, P1, P2, P3, P4, capacity=4)
    assert conflict_of(lambda: draft_batch(record(ingest))).code == "GROUP_NOT_FINISHED"
    push(ingest, finished(
        {"patient": {"id": P1}, "diagnosis": L03, "exemptionCode": "F", "patientShare": "118.00"},
        {"patient": {"id": P2}, "attended": False},
        {"patient": {"id": P3}, "bill": False},
        {"patient": {"id": P4}, "tariffs": [{"code": "A8b", "amount": "150.00", "count": 2}]}))
    draft = draft_batch(record(ingest))
    batch = parse_batch(orjson.dumps(draft))
    assert batch.account.accounting_type is AccountingType.MUNICIPAL_JOINT_PHYSIO
    assert batch.account.organisation_number == ACCOUNT["organisationNumber"]
    assert batch.signing_practitioner_hpr is None and [p.hpr for p in batch.practitioners] == ["2345678"]
    assert [b.patient.id for b in batch.bills] == [P1, P4]  # not the no-show, not the unticked
    first, fourth = batch.bills
    assert first.exemption_code is ExemptionCode.FRIKORT and not first.patient_share_paid
    assert first.note == PAY_LATER_NOTE
    assert [(t.code, str(t.amount), t.count) for t in fourth.tariffs] == [("A8b", "150.00", 2)]
    assert first.date_time is not None and first.date_time.isoformat() == "2024-09-17T10:00:00+02:00"
    plan = check(batch)
    assert len(plan.included) == 2 and str(plan.totals.sum_claimed) == "118.00"  # frikort: the share from HELFO
    assert draft_batch(record(ingest)) == draft  # deterministic guid and bill number


def test_kommunal_fysioterapi_keeps_the_problemstilling_off_the_bill(ingest: BookingIngest) -> None:
    # NAV: for kommunal fysioterapi "skal diagnose ikke oppgis"; the problemstilling stays in the journal.
    booked(ingest, P1)
    resources = push(ingest, finished({"patient": {"id": P1}, "diagnosis": L03}))
    [bill] = draft_batch(record(ingest))["bills"]
    assert "diagnoses" not in bill
    [encounter] = [r for r in resources if r["resourceType"] == "Encounter"]
    assert "L03" in encounter["reasonCode"][0]["text"]


def test_standard_account_names_the_actor_as_signer(ingest: BookingIngest) -> None:
    booked(ingest, P1)
    push(ingest, finished({"patient": {"id": P1}, "diagnosis": L03}, accounting="standard", patientShare="100.00"))
    draft = draft_batch(record(ingest))
    assert draft["signingPractitionerHpr"] == "2345678"
    batch = parse_batch(orjson.dumps(draft))
    [bill] = batch.bills
    assert bill.patient_share == 100 and bill.practitioner_hpr == "2345678"
    assert [(d.system.value, d.code) for d in bill.diagnoses] == [("ICPC-2", "L03")]
    assert check(batch).included


def test_a_helfo_groups_extra_fee_is_each_bills_patient_share(ingest: BookingIngest) -> None:
    booked(ingest, P1, P2, P3, extraFee="75.00")
    push(ingest, finished({"patient": {"id": P1}, "exemptionCode": "F"},
                          {"patient": {"id": P3}, "patientShare": "40.00"}))
    bills = {bill["patient"]["id"]: bill for bill in draft_batch(record(ingest))["bills"]}
    # the extra fee is the patient's part; a share named for the patient replaces it
    assert {patient: bill["patientShare"] for patient, bill in bills.items()} == {P1: "75.00", P2: "75.00",
                                                                                  P3: "40.00"}
    assert not any(bill["patientSharePaid"] for bill in bills.values())
    # frikort: the patient pays nothing, the share is claimed from HELFO (municipal physiotherapy)
    plan = check(parse_batch(orjson.dumps(draft_batch(record(ingest)))))
    assert {p.bill.patient.id: p.refund for p in plan.included} == {P1: Decimal("75.00"), P2: Decimal("0.00"),
                                                                   P3: Decimal("0.00")}
    assert {patient: card["amountDue"] for patient, card in cards(ingest).items()} == {P1: "0.00", P2: "75.00",
                                                                                       P3: "40.00"}


def test_an_appointment_wide_share_replaces_the_extra_fee(ingest: BookingIngest) -> None:
    booked(ingest, P1, extraFee="75.00")
    push(ingest, finished(patientShare="118.00"))
    assert [bill["patientShare"] for bill in draft_batch(record(ingest))["bills"]] == ["118.00"]


def test_a_helfo_group_without_extra_fee_or_share_has_no_patient_share(ingest: BookingIngest) -> None:
    booked(ingest, P1)
    push(ingest, finished())
    [bill] = draft_batch(record(ingest))["bills"]
    assert "patientShare" not in bill
    assert cards(ingest)[P1]["amountDue"] == "0.00"


# ------------------------------------------------------------------ problemstilling by practice type


def test_a_missing_problemstilling_refuses_the_bills_and_names_each_patient(ingest: BookingIngest) -> None:
    booked(ingest, P1, P2, P3, P4, capacity=4)
    # standard account: a doctor (fastlege, FALE), for whom HELFO requires a diagnosis
    push(ingest, finished({"patient": {"id": P1}, "diagnosis": L03}, {"patient": {"id": P3}, "attended": False},
                          accounting="standard"))
    error = diagnosis_missing(ingest)
    assert error.http_status == 422
    assert [(issue.code, issue.location) for issue in error.issues] == [
        ("GROUP_DIAGNOSIS_MISSING", "/bills/1/diagnoses"), ("GROUP_DIAGNOSIS_MISSING", "/bills/2/diagnoses")]
    assert P2 in error.issues[0].message and P4 in error.issues[1].message
    assert P1 not in error.message + " ".join(i.message for i in error.issues)  # only those without one
    assert P3 not in " ".join(i.message for i in error.issues)  # a no-show is not billed


@pytest.mark.parametrize(("practice_type", "refused_without_diagnosis"), [
    ("FYNO", True),    # private physiotherapist: ICPC-2 required
    ("PSNO", True),    # psychologist: ICD-10 required
    ("TANN", False),   # dentist: "Diagnosekode er ikke obligatorisk for tannleger"
    ("KOFY", False),   # kommunal fysioterapi: none at all
])
def test_the_practice_type_decides(ingest: BookingIngest, practice_type: str,
                                   refused_without_diagnosis: bool) -> None:
    booked(ingest, P1)
    push(ingest, finished(accounting="standard", account={**ACCOUNT, "practiceType": practice_type}))
    if refused_without_diagnosis:
        assert diagnosis_missing(ingest).issues[0].location == "/bills/0/diagnoses"
    else:
        draft = draft_batch(record(ingest))
        assert draft["account"]["practiceType"] == practice_type
        assert parse_batch(orjson.dumps(draft)).account.practice_type is PracticeType(practice_type)


def test_every_practice_type_that_requires_a_diagnosis_refuses_bills_without(ingest: BookingIngest) -> None:
    booked(ingest, P1)
    push(ingest, finished())
    finished_record = record(ingest)
    assert finished_record.billing_account is not None
    for practice_type in PracticeType:
        account = dataclasses.replace(finished_record.billing_account, practice_type=practice_type.value)
        with_type = finished_record.with_changes(billing_account=account)
        if diagnosis_rule(practice_type) is DiagnosisRule.REQUIRED:
            with pytest.raises(Unprocessable, match=practice_type.value):
                draft_batch(with_type)
        else:
            assert draft_batch(with_type)["account"]["practiceType"] == practice_type.value


def test_without_a_practice_type_the_accounting_types_default_applies(ingest: BookingIngest) -> None:
    booked(ingest, P1)
    push(ingest, finished(accounting="kommunalt-fellesoppgjor-lege"))  # KOFA by default: required
    assert "KOFA" in diagnosis_missing(ingest).message


def test_the_events_practice_types_and_exemption_codes_are_the_settlements() -> None:
    # what a finished event takes, its draft batch must be able to carry
    definitions: Any = load_json_schema("group-appointment-event.schema.json")["$defs"]
    assert sorted(definitions["account"]["properties"]["practiceType"]["enum"]) == sorted(PracticeType)
    assert sorted(definitions["attendance"]["properties"]["exemptionCode"]["enum"]) == sorted(ExemptionCode)


def test_an_occupational_injury_goes_onto_a_doctors_bill(ingest: BookingIngest) -> None:
    booked(ingest, P1, extraFee="75.00")
    push(ingest, finished({"patient": {"id": P1}, "exemptionCode": "Y", "diagnosis": L03}, accounting="standard"))
    [bill] = draft_batch(record(ingest))["bills"]
    assert (bill["exemptionCode"], bill["patientShare"]) == ("Y", "75.00")
    assert parse_batch(orjson.dumps(draft_batch(record(ingest)))).bills[0].exemption_code is ExemptionCode("Y")
    assert cards(ingest)[P1]["amountDue"] == "0.00"  # the patient pays nothing


# ------------------------------------------------------------------ bill cards


def test_an_own_fee_group_makes_a_pay_later_card_per_billed_patient(ingest: BookingIngest) -> None:
    booked(ingest, P1, P2, P3, P4, capacity=4, helfo=False, extraFee="350.00")
    assert group_bill_cards(record(ingest))["billCards"] == []  # none before finish
    doc = finished({"patient": {"id": P2}, "attended": False}, {"patient": {"id": P3}, "bill": False})
    del doc["tariffs"]
    push(ingest, doc)
    found = cards(ingest)
    assert sorted(found) == sorted([P1, P4])  # not the no-show, not the unticked
    for patient, card in found.items():
        assert (card["status"], card["amountDue"], card["helfoTariffs"]) == (PAY_LATER, "350.00", False)
        assert card["id"] == str(bill_guid(APPOINTMENT, patient))
        assert card["appointment"] == {"id": APPOINTMENT, "groupAppointmentId": "GT-TEST-1",
                                       "clinicHerId": CLINIC["herId"]}
    # never a HELFO claim
    assert conflict_of(lambda: draft_batch(record(ingest))).code == "GROUP_NOT_HELFO"


def test_an_own_fee_group_without_extra_fee_owes_nothing(ingest: BookingIngest) -> None:
    booked(ingest, P1, helfo=False)
    doc = finished()
    del doc["tariffs"]
    push(ingest, doc)
    assert cards(ingest)[P1]["amountDue"] == "0.00"


@pytest.mark.parametrize(("line", "wide", "code", "location"), [
    ({"patientShare": "100.00"}, {}, "GROUP_SHARE_WITHOUT_HELFO", "/attendance/0/patientShare"),
    ({}, {"patientShare": "100.00"}, "GROUP_SHARE_WITHOUT_HELFO", "/patientShare"),
    ({"exemptionCode": "F"}, {}, "GROUP_EXEMPTION_WITHOUT_HELFO", "/attendance/0/exemptionCode"),
])
def test_an_own_fee_group_takes_no_share_and_no_exemption(ingest: BookingIngest, line: dict[str, Any],
                                                          wide: dict[str, Any], code: str, location: str) -> None:
    booked(ingest, P1, helfo=False, extraFee="350.00")
    doc = finished({"patient": {"id": P1}, **line}, **wide)
    del doc["tariffs"]
    error = refused(ingest, doc)
    assert (error.code, error.location) == (code, location)
    assert record(ingest).status == "booked"


def test_the_card_and_the_helfo_bill_are_one_regningskort(ingest: BookingIngest) -> None:
    booked(ingest, P1)
    push(ingest, finished())
    [bill] = draft_batch(record(ingest))["bills"]
    card = cards(ingest)[P1]
    assert (card["id"], card["billNumber"]) == (bill["guid"], bill["billNumber"])


def test_a_patients_unpaid_cards_are_listed_across_groups(ingest: BookingIngest) -> None:
    booked(ingest, P1, P2, helfo=False, extraFee="350.00")
    own = finished()
    del own["tariffs"]
    push(ingest, own)
    booked(ingest, P1, group="GT-TEST-2", extraFee="75.00")
    push(ingest, finished({"patient": {"id": P1}, "exemptionCode": "F"}, groupAppointmentId="GT-TEST-2"))
    booked(ingest, P1, group="GT-TEST-3")  # not finished: no card yet
    store = ingest.store
    listing = patient_bill_cards(store, classify_norwegian_person(P1), scope=None, count=50, offset=0)
    assert listing["total"] == 2 and listing["status"] == PAY_LATER
    due = {card["appointment"]["groupAppointmentId"]: card["amountDue"] for card in listing["billCards"]}
    assert due == {"GT-TEST-1": "350.00", "GT-TEST-2": "0.00"}
    assert all(card["patient"] == {"id": P1} for card in listing["billCards"])
    other = patient_bill_cards(store, classify_norwegian_person(P2), scope=None, count=50, offset=0)
    assert [card["appointment"]["id"] for card in other["billCards"]] == [APPOINTMENT]
    first = patient_bill_cards(store, classify_norwegian_person(P1), scope=None, count=1, offset=0)
    second = patient_bill_cards(store, classify_norwegian_person(P1), scope=None, count=1, offset=1)
    assert (first["total"], len(first["billCards"]), len(second["billCards"])) == (2, 1, 1)
    assert first["billCards"][0]["id"] != second["billCards"][0]["id"]


def test_the_listing_keeps_to_the_callers_clinics(ingest: BookingIngest) -> None:
    booked(ingest, P1)
    push(ingest, finished())
    patient = classify_norwegian_person(P1)
    mine = patient_bill_cards(ingest.store, patient, scope=Condition("facility", "eq", (CLINIC["herId"],)),
                              count=50, offset=0)
    theirs = patient_bill_cards(ingest.store, patient, scope=Condition("facility", "eq", ("99999",)),
                                count=50, offset=0)
    assert (mine["total"], theirs["total"], theirs["billCards"]) == (1, 0, [])
    assert mine["billCards"][0]["appointment"]["id"] == group_appointment_id(CLINIC["herId"], "GT-TEST-1")
