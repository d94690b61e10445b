"""Settlement rules, table-tested: signer kind, which bills go in, refunds and totals."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from gateway.domain.parties import CertificateKind
from gateway.domain.settlement import AccountingType, Verdict
from gateway.primitives.errors import Unprocessable
from gateway.settlement.batch import parse_batch
from gateway.settlement.rules import check, refund_of, required_signer_kind
from tests.gateway.settlement.factories import OTHER, PATIENT, SIGNER, batch_dict, bill, parse, sample_paths

STANDARD = "standard"
SINGLE = "kommunalt-enkeltoppgjor-lege"
JOINT = "kommunalt-fellesoppgjor-lege"
PHYSIO = "kommunalt-fellesoppgjor-fysioterapi"


@pytest.mark.parametrize(
    ("accounting_type", "kind"),
    [
        (AccountingType.STANDARD, CertificateKind.PERSONAL),
        (AccountingType.MUNICIPAL_SINGLE_DOCTOR, CertificateKind.PERSONAL),
        (AccountingType.MUNICIPAL_JOINT_DOCTOR, CertificateKind.ENTERPRISE),
        (AccountingType.MUNICIPAL_JOINT_PHYSIO, CertificateKind.ENTERPRISE),
    ],
)
def test_signer_kind_per_accounting_type(accounting_type: AccountingType, kind: CertificateKind) -> None:
    assert required_signer_kind(accounting_type) is kind
    assert check(parse(batch_dict(accounting_type.value))).signer_kind is kind


TWO_TARIFFS = [{"code": "2ad", "amount": "196.00", "count": 1}, {"code": "701a", "amount": "60.00", "count": 2}]


@pytest.mark.parametrize(
    ("accounting_type", "overrides", "refund"),
    [
        # doctors: tariff sum minus the share the patient paid
        (STANDARD, {"tariffs": TWO_TARIFFS, "patientSharePaid": True, "patientShare": "176.00"}, "140.00"),
        (STANDARD, {"tariffs": TWO_TARIFFS, "patientSharePaid": False, "patientShare": "176.00"}, "316.00"),
        (SINGLE, {"patientSharePaid": True, "patientShare": "196.00"}, "0.00"),
        (JOINT, {"exemptionCode": "B", "patientSharePaid": False, "patientShare": "0.00"}, "196.00"),
        (JOINT, {"exemptionCode": "F", "patientSharePaid": False}, "196.00"),
        (STANDARD, {"exemptionCode": "Y", "patientSharePaid": False}, "196.00"),
        (STANDARD, {"exemptionCode": "S", "patientSharePaid": False}, "196.00"),
        # a credit bill claims the same amount negative
        (STANDARD, {"patientSharePaid": True, "patientShare": "176.00", "credit": True}, "-20.00"),
        (PHYSIO, {"exemptionCode": "F", "patientSharePaid": False, "patientShare": "176.00", "credit": True},
         "-176.00"),
        # municipal physiotherapy: 0, unless frikort turns the patient's share into the HELFO part
        (PHYSIO, {"patientSharePaid": True, "patientShare": "176.00"}, "0.00"),
        (PHYSIO, {"exemptionCode": "F", "patientSharePaid": False, "patientShare": "176.00"}, "176.00"),
        (PHYSIO, {"tariffs": TWO_TARIFFS, "exemptionCode": "F", "patientSharePaid": False,
                  "patientShare": "218.00"}, "218.00"),
    ],
)
def test_refund_of_one_bill(accounting_type: str, overrides: dict[str, Any], refund: str) -> None:
    batch = parse(batch_dict(accounting_type, bills=[bill(1, **overrides)]))
    assert refund_of(batch.bills[0], batch.account.accounting_type) == Decimal(refund)
    plan = check(batch)
    assert plan.included[0].refund == Decimal(refund)
    assert plan.verdicts[0].refund == Decimal(refund)


@pytest.mark.parametrize(
    ("accounting_type", "overrides", "code"),
    [
        (STANDARD, {"practitionerHpr": OTHER}, "BILL_NOT_SIGNERS"),
        (SINGLE, {"practitionerHpr": OTHER}, "BILL_NOT_SIGNERS"),
        (JOINT, {"practitionerHpr": "7654321"}, "BILL_PRACTITIONER_NOT_CHOSEN"),
        (PHYSIO, {"practitionerHpr": "7654321"}, "BILL_PRACTITIONER_NOT_CHOSEN"),
        (PHYSIO, {"exemptionCode": "A", "patientSharePaid": False}, "BILL_EXEMPTION_NOT_ALLOWED_PHYSIO"),
        (PHYSIO, {"exemptionCode": "B", "patientSharePaid": False}, "BILL_EXEMPTION_CHILD_COVERED_BY_GRANT"),
        (PHYSIO, {"exemptionCode": "Y", "patientSharePaid": False}, "BILL_EXEMPTION_INJURY_COVERED_BY_GRANT"),
        (PHYSIO, {"exemptionCode": "K", "patientSharePaid": False}, "BILL_EXEMPTION_NOT_ALLOWED_PHYSIO"),
        (PHYSIO, {"exemptionCode": "G", "patientSharePaid": False}, "BILL_EXEMPTION_NOT_ALLOWED_PHYSIO"),
        (PHYSIO, {"exemptionCode": "H", "patientSharePaid": False}, "BILL_EXEMPTION_NOT_ALLOWED_PHYSIO"),
        (STANDARD, {"exemptionCode": "F", "patientSharePaid": True}, "BILL_SHARE_PAID_DESPITE_EXEMPTION"),
        (JOINT, {"patientShare": "500.00"}, "BILL_PATIENT_SHARE_EXCEEDS_TARIFFS"),
        (STANDARD, {"patient": {"id": PATIENT[:-1] + str((int(PATIENT[-1]) + 1) % 10)}},
         "NATIONAL_ID_CHECK_DIGIT"),
        (JOINT, {"dateTime": "2024-02-30T10:00:00+01:00"}, "BILL_DATETIME_INVALID"),
    ],
)
def test_refused_bill_gets_a_stable_code_and_the_rest_go_in(
    accounting_type: str, overrides: dict[str, Any], code: str
) -> None:
    plan = check(parse(batch_dict(accounting_type, bills=[bill(1), bill(2, **overrides)])))
    good, bad = plan.verdicts
    assert good.verdict is Verdict.INCLUDED
    assert (bad.verdict, bad.code) == (Verdict.REFUSED, code)
    assert bad.reason
    assert bad.location is not None and bad.location.startswith("/bills/1")
    assert [p.bill.bill_number for p in plan.included] == ["1"]


@pytest.mark.parametrize(("code", "words"), [("B", "under 16"), ("Y", "yrkesskade")])
def test_physio_refusal_names_the_fixed_grant_rule(code: str, words: str) -> None:
    plan = check(parse(batch_dict(PHYSIO, bills=[bill(1), bill(2, exemptionCode=code, patientSharePaid=False)])))
    reason = plan.verdicts[1].reason or ""
    assert "frikort" in reason and "fixed grant" in reason and words in reason
    assert plan.verdicts[1].location == "/bills/1/exemptionCode"


def test_physio_bills_carry_no_diagnosis_and_a_note_says_so() -> None:
    plan = check(parse(batch_dict(PHYSIO, bills=[bill(1), bill(2, diagnoses=[])])))
    assert [p.diagnoses for p in plan.included] == [(), ()]
    with_diagnosis, without = plan.verdicts
    assert [n.code for n in with_diagnosis.notes] == ["BILL_DIAGNOSIS_NOT_SENT"]
    assert with_diagnosis.notes[0].location == "/bills/0/diagnoses"
    assert without.notes == ()


@pytest.mark.parametrize("accounting_type", [STANDARD, SINGLE, JOINT])
def test_a_doctors_bill_without_diagnosis_is_refused(accounting_type: str) -> None:
    plan = check(parse(batch_dict(accounting_type, bills=[bill(1), bill(2, diagnoses=[])])))
    assert (plan.verdicts[1].code, plan.verdicts[1].location) == ("BILL_DIAGNOSIS_MISSING", "/bills/1/diagnoses")
    assert plan.included[0].diagnoses == plan.included[0].bill.diagnoses


def test_a_credit_bill_needs_no_diagnosis_since_its_guid_names_the_original() -> None:
    plan = check(parse(batch_dict(JOINT, bills=[bill(1), bill(2, diagnoses=[], credit=True)])))
    assert [v.verdict for v in plan.verdicts] == [Verdict.INCLUDED, Verdict.INCLUDED]


@pytest.mark.parametrize(
    ("practice_type", "overrides", "code"),
    [("FYNO", {"diagnoses": []}, "BILL_DIAGNOSIS_MISSING"),
     ("FYNO", {"diagnoses": [{"system": "ICD-10", "code": "M545"}]}, "BILL_DIAGNOSIS_SYSTEM_WRONG"),
     ("PSNO", {"diagnoses": [{"system": "ICPC-2", "code": "P76"}]}, "BILL_DIAGNOSIS_SYSTEM_WRONG"),
     ("KINO", {"diagnoses": []}, "BILL_DIAGNOSIS_MISSING"),
     ("TANN", {"diagnoses": []}, None),
     ("PASI", {}, None)],
)
def test_diagnosis_follows_the_accounts_practice_type(practice_type: str, overrides: dict[str, Any],
                                                     code: str | None) -> None:
    doc = batch_dict(STANDARD, bills=[bill(1, diagnoses=[{"system": "ICD-10", "code": "F321"}]
                                           if practice_type in ("PSNO", "TANN") else bill(1)["diagnoses"]),
                                      bill(2, **overrides)])
    doc["account"]["practiceType"] = practice_type
    plan = check(parse(doc))
    assert plan.verdicts[0].verdict is Verdict.INCLUDED
    assert plan.verdicts[1].code == code


def test_a_frikort_bill_without_patient_share_is_included_with_a_note() -> None:
    frikort = {"exemptionCode": "F", "patientSharePaid": False}
    plan = check(parse(batch_dict(PHYSIO, bills=[bill(1, **frikort, patientShare="176.00"),
                                                 bill(2, **frikort, patientShare="0.00")])))
    assert [v.verdict for v in plan.verdicts] == [Verdict.INCLUDED, Verdict.INCLUDED]
    assert [n.code for n in plan.verdicts[0].notes] == ["BILL_DIAGNOSIS_NOT_SENT"]
    assert plan.verdicts[1].refund == Decimal("0.00")
    assert "BILL_FRIKORT_WITHOUT_PATIENT_SHARE" in [n.code for n in plan.verdicts[1].notes]


def test_joint_settlement_reports_each_bills_own_practitioner_as_treating() -> None:
    plan = check(parse(batch_dict(JOINT, bills=[bill(1), bill(2, practitionerHpr=OTHER)])))
    assert [p.practitioner.hpr for p in plan.included] == [SIGNER, OTHER]
    assert plan.signing_practitioner is None


def test_personal_settlement_names_its_signing_practitioner() -> None:
    plan = check(parse(batch_dict(STANDARD)))
    assert plan.signing_practitioner is not None
    assert (plan.signing_practitioner.hpr, plan.signing_practitioner.family_name) == (SIGNER, "Lege")


def test_dropped_bills_get_verdict_dropped_and_stay_out_of_totals() -> None:
    doc = batch_dict(JOINT, bills=[bill(1), bill(2)])
    doc["droppedBills"] = [doc["bills"][1]["guid"]]
    plan = check(parse(doc))
    assert [v.verdict for v in plan.verdicts] == [Verdict.INCLUDED, Verdict.DROPPED]
    assert plan.totals.bill_count == 1
    assert plan.totals.sum_claimed == Decimal("20.00")


def test_totals_count_every_included_bill_and_subtract_credits() -> None:
    bills = [
        bill(1, patientShare="176.00"),                      # 20.00
        bill(2, patientSharePaid=False, exemptionCode="F"),  # 196.00
        bill(3, practitionerHpr=OTHER),                      # refused
        bill(4, credit=True),                                # -20.00
    ]
    plan = check(parse(batch_dict(STANDARD, bills=bills)))
    assert plan.totals.bill_count == 3
    assert plan.totals.sum_claimed == Decimal("196.00")
    assert len(plan.verdicts) == 4
    assert plan.verdicts[3].refund == Decimal("-20.00")
    assert sum((v.refund for v in plan.verdicts if v.refund is not None), Decimal(0)) == plan.totals.sum_claimed


def test_all_or_nothing_refuses_the_batch_listing_each_refusal() -> None:
    doc = batch_dict(STANDARD, bills=[bill(1), bill(2, practitionerHpr=OTHER), bill(3, patientShare="999.00")])
    doc["allOrNothing"] = True
    with pytest.raises(Unprocessable) as caught:
        check(parse(doc))
    assert caught.value.code == "BATCH_REFUSED_ALL_OR_NOTHING"
    assert [(i.code, i.location) for i in caught.value.issues] == [
        ("BILL_NOT_SIGNERS", "/bills/1"),
        ("BILL_PATIENT_SHARE_EXCEEDS_TARIFFS", "/bills/2"),
    ]


def test_all_or_nothing_accepts_a_batch_without_refusals_even_with_dropped_bills() -> None:
    doc = batch_dict(STANDARD, bills=[bill(1), bill(2)])
    doc["allOrNothing"] = True
    doc["droppedBills"] = [doc["bills"][1]["guid"]]
    assert check(parse(doc)).totals.bill_count == 1


def test_a_batch_with_no_included_bill_is_refused_as_empty() -> None:
    doc = batch_dict(STANDARD, bills=[bill(1, practitionerHpr=OTHER), bill(2)])
    doc["droppedBills"] = [doc["bills"][1]["guid"]]
    with pytest.raises(Unprocessable) as caught:
        check(parse(doc))
    assert caught.value.code == "BATCH_EMPTY"
    assert [i.code for i in caught.value.issues] == ["BILL_NOT_SIGNERS", "BILL_DROPPED"]


EXPECTED_SAMPLE_PLANS = {
    "standard.json": (["included", "included"], 2, "336.00"),
    "kommunalt-enkeltoppgjor-lege.json": (["included", "included", "refused"], 2, "202.00"),
    "kommunalt-fellesoppgjor-lege.json": (["included", "included", "dropped", "included"], 3, "256.00"),
    "kommunalt-fellesoppgjor-fysioterapi.json": (["included", "included", "refused"], 2, "218.00"),
}


@pytest.mark.parametrize("path", sample_paths(), ids=lambda p: p.name)
def test_sample_batches_plan_as_documented(path) -> None:
    verdicts, count, total = EXPECTED_SAMPLE_PLANS[path.name]
    plan = check(parse_batch(path.read_bytes()))
    assert [v.verdict.value for v in plan.verdicts] == verdicts
    assert plan.totals.bill_count == count
    assert plan.totals.sum_claimed == Decimal(total)
    assert plan.totals.sum_claimed == sum((p.refund for p in plan.included), Decimal(0))
    assert all(p.refund <= 0 for p in plan.included if p.bill.credit)
