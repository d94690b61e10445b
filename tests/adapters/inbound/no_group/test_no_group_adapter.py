"""The Norwegian group-appointment adapter: bytes to one canonical event, and every wall it keeps."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from adapters.inbound import no_group
from gateway.bootstrap.inbound import inbound
from gateway.domain.group_appointments import GroupAction, GroupAppointmentEvent
from gateway.primitives.errors import MalformedInput, NordgateError, PayloadTooLarge, Unprocessable
from gateway.primitives.identifiers import IdentifierKind
from gateway.primitives.xmlsafe import XmlLimits
from tests.adapters.inbound.no_group.events import (
    ACCOUNT,
    P1,
    P2,
    P3,
    added,
    body,
    created,
    event,
    finished,
)
from tests.conftest import SAMPLES

parse_message = inbound().registry.parse

SAMPLE_DIR = SAMPLES / "group-appointments"
INPUTS = sorted(p for p in SAMPLE_DIR.glob("*.json") if not p.name.endswith((".expected.json", ".case.json")))


def one(doc: Any) -> GroupAppointmentEvent:
    [parsed] = no_group.parse(body(doc), source="pas")
    return parsed


def refused(data: bytes, **kwargs: Any) -> NordgateError:
    with pytest.raises(NordgateError) as caught:
        no_group.parse(data, source="pas", **kwargs)
    return caught.value


def test_there_are_enough_samples() -> None:
    assert len(INPUTS) >= 12


@pytest.mark.parametrize("path", [p for p in INPUTS if "check-digit" not in p.name], ids=lambda p: p.name)
def test_every_sample_parses(path: Path) -> None:
    [parsed] = no_group.parse(path.read_bytes(), source="pas")
    assert parsed.group_appointment_id.startswith("GT-")
    assert parsed.occurred_at.tzinfo is not None


def test_created_carries_the_whole_setup() -> None:
    parsed = one(created(extraFee="50.00", note="Ta med treningstøy"))
    details = parsed.details
    assert parsed.action is GroupAction.CREATED and details is not None
    assert (details.type_code, details.type_name, details.capacity) == ("GRUPPETRENING", "Gruppetrening rygg", 3)
    assert details.helfo_tariffs is True and details.online_bookable is False
    assert details.extra_fee == Decimal("50.00") and isinstance(details.extra_fee, Decimal)
    assert details.start == dt.datetime.fromisoformat("2024-09-17T10:00:00+02:00")
    assert details.practitioner is not None and details.practitioner.id.kind is IdentifierKind.HPR
    assert parsed.clinic.her_id == "8142531" and parsed.clinic.orgnr == "921000006"


def test_patients_are_classified_fnr_and_dnr() -> None:
    parsed = one(added(P1, P3))
    assert [p.id.kind for p in parsed.patients] == [IdentifierKind.FNR, IdentifierKind.DNR]


def test_a_wrong_check_digit_is_422_with_its_pointer() -> None:
    error = refused(body(added(P1, "12037512329")))
    assert isinstance(error, Unprocessable) and error.code == "NATIONAL_ID_CHECK_DIGIT"
    assert error.location == "/patients/1/id"


def test_finished_defaults_and_ticks() -> None:
    parsed = one(finished({"patient": {"id": P1}, "exemptionCode": "F",
                           "diagnosis": {"system": "ICPC-2", "code": "L03"}},
                          {"patient": {"id": P2}, "attended": False}, {"patient": {"id": P3}, "bill": False}))
    finish = parsed.finish
    assert finish is not None and finish.accounting == "kommunalt-fellesoppgjor-fysioterapi"
    first, second, third = finish.attendance
    assert (first.attended, first.bill, first.exemption_code) == (True, True, "F")
    assert (second.attended, second.bill) == (False, False)  # unticked: no bill either
    assert (third.attended, third.bill) == (True, False)
    assert finish.tariffs[0].amount == Decimal("118.00") and finish.account.owner == "Berit Admin"


def test_the_accounts_practice_type_is_read_when_given() -> None:
    given = one(finished(account={**ACCOUNT, "practiceType": "FYNO"})).finish
    assert given is not None and given.account.practice_type == "FYNO"
    unsaid = one(finished()).finish
    assert unsaid is not None and unsaid.account.practice_type is None


def test_a_bill_for_a_patient_who_did_not_come_is_refused() -> None:
    error = refused(body(finished({"patient": {"id": P1}, "attended": False, "bill": True})))
    assert error.code == "GROUP_BILL_WITHOUT_ATTENDANCE" and error.location == "/attendance/0/bill"


def test_account_check_digits_are_verified() -> None:
    assert refused(body(finished(account={**ACCOUNT, "accountNumber": "63451234563"}))).code \
        == "ACCOUNT_NUMBER_CHECK_DIGIT"
    assert refused(body(finished(account={**ACCOUNT, "organisationNumber": "921000007"}))).code == "ORGNR_CHECK_DIGIT"
    assert refused(body(event("deleted", clinic={"herId": "1", "orgnr": "123456789"}))).code == "ORGNR_CHECK_DIGIT"


@pytest.mark.parametrize(("doc", "code", "location"), [
    (created(end="2024-09-17T09:00:00+02:00"), "GROUP_TIME_INVALID", "/end"),
    (event("copied", newGroupAppointmentId="GT-TEST-1", start="2024-09-24T10:00:00+02:00",
           end="2024-09-24T11:00:00+02:00"), "GROUP_COPY_SAME_ID", "/newGroupAppointmentId"),
    (event("patients-added", patients=[{"id": P1}, {"id": P1}]), "EVENT_PATIENT_TWICE", "/patients/1/id"),
    (event("checked-in", patient={"id": P1}, at="2024-02-30T10:00:00+01:00"), "EVENT_TIME_INVALID", "/at"),
])
def test_domain_faults(doc: dict[str, Any], code: str, location: str) -> None:
    error = refused(body(doc))
    assert isinstance(error, Unprocessable) and (error.code, error.location) == (code, location)


@pytest.mark.parametrize(("doc", "code", "location"), [
    ({**created(), "colour": "blue"}, "EVENT_SHAPE_INVALID", "/"),
    (event("moved", start="2024-09-19T13:00:00+02:00"), "EVENT_SHAPE_INVALID", "/"),   # end missing
    (event("changed"), "EVENT_SHAPE_INVALID", "/"),                                       # changes nothing
    (created(capacity="4"), "EVENT_SHAPE_INVALID", "/capacity"),
    (event("deleted", capacity=3), "EVENT_SHAPE_INVALID", "/capacity"),                  # not a delete's field
    (created(capacity=0), "EVENT_VALUE_INVALID", "/capacity"),
    (created(extraFee="50"), "EVENT_VALUE_INVALID", "/extraFee"),
    (event("cancelled", by="someone"), "EVENT_VALUE_INVALID", "/by"),
    (event("exploded"), "EVENT_VALUE_INVALID", "/event"),
    (event("deleted", occurredAt="2024-09-02 09:01"), "EVENT_VALUE_INVALID", "/occurredAt"),
    (finished({"patient": {"id": P1}, "exemptionCode": "Z"}), "EVENT_VALUE_INVALID", "/attendance/0/exemptionCode"),
    (finished(account={**ACCOUNT, "practiceType": "FYSI"}), "EVENT_VALUE_INVALID", "/account/practiceType"),
])
def test_schema_faults_have_stable_codes_and_pointers(doc: dict[str, Any], code: str, location: str) -> None:
    error = refused(body(doc))
    assert error.code == code and error.location == location, error
    assert isinstance(error, MalformedInput if code == "EVENT_SHAPE_INVALID" else Unprocessable)
    assert error.issues and all(issue.location for issue in error.issues)


@pytest.mark.parametrize(("data", "code"), [
    (b'{"event": "deleted", "event": "created"}', "EVENT_JSON_DUPLICATE_KEY"),
    (b'{"capacity": NaN}', "EVENT_JSON_MALFORMED"),
    (b'{"capacity": Infinity}', "EVENT_JSON_MALFORMED"),
    (b'{"capacity": 1' + b"0" * 40 + b"}", "EVENT_JSON_NUMBER_TOO_LARGE"),
    (b'{"capacity": 1.' + b"5" * 60 + b"}", "EVENT_JSON_NUMBER_TOO_LARGE"),
    ('{"event": "deleted", "note": "blåbær"}'.encode("latin-1"), "EVENT_JSON_NOT_UTF8"),
    (b'{"event": ', "EVENT_JSON_MALFORMED"),
    (b"[" * 100_000 + b"]" * 100_000, "EVENT_JSON_TOO_DEEP"),
])
def test_hostile_json_is_400(data: bytes, code: str) -> None:
    error = refused(data, max_bytes=1024 * 1024)
    assert isinstance(error, MalformedInput) and error.code == code


def test_the_size_limit_comes_from_the_caller() -> None:
    data = body(created(note="x" * 1500))
    assert isinstance(refused(data, max_bytes=1024), PayloadTooLarge)
    assert one(created(note="x" * 1500)).details is not None


def test_a_float_where_money_belongs_is_refused_not_rounded() -> None:
    error = refused(b'{"event": "created", "groupAppointmentId": "G", "occurredAt": "2024-09-02T09:00:00+02:00",'
                    b' "clinic": {"herId": "1"}, "extraFee": 50.10}')
    assert error.code == "EVENT_SHAPE_INVALID"


class TestDispatch:
    def test_json_goes_to_the_group_adapter(self) -> None:
        [parsed] = parse_message(b"\xef\xbb\xbf  " + body(created()), source="pas")
        assert isinstance(parsed, GroupAppointmentEvent)

    def test_other_json_is_format_unknown(self) -> None:
        with pytest.raises(Unprocessable) as caught:
            parse_message(b'{"resourceType": "Bundle"}', source="pas")
        assert caught.value.code == "FORMAT_UNKNOWN"
        with pytest.raises(Unprocessable):
            parse_message(b"[1, 2]", source="pas")

    def test_the_xml_byte_limit_applies_to_json_too(self) -> None:
        with pytest.raises(PayloadTooLarge):
            parse_message(body(created(note="x" * 1500)), source="pas", limits=XmlLimits(max_bytes=1024))

    def test_non_utf8_json_is_400(self) -> None:
        with pytest.raises(MalformedInput) as caught:
            parse_message(b'{"event": "\xff"}', source="pas")
        assert caught.value.code == "EVENT_JSON_NOT_UTF8"
