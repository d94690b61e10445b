"""Every answer the RIVTA builders make validates against the official responder XSD (patched copy),
including an ERROR answer for every ERROR row of the table and an INFO answer for every remark."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from lxml import etree

from adapters.inbound.crm_scheduling import answers as r
from gateway.api.rivta_answers import ANSWER_OF, INFO_REMARKS, answer_for, result_text
from tests.gateway.api.rivta.conftest import PERFORMER, UNIT

Schema = Callable[[str], etree.XMLSchema]


def local(y: int, mo: int, d: int, h: int, mi: int) -> dt.datetime:
    return dt.datetime(y, mo, d, h, mi, tzinfo=r.STOCKHOLM)


def info(code: str, *, booking_id: str | None = None) -> r.WriteResult:
    sv, en = INFO_REMARKS[code]
    return r.WriteResult(r.ResultCode.INFO, result_text(code, sv, en), booking_id)


def error(code: str, status: int) -> r.WriteResult:
    row = answer_for(code, status)
    assert row.kind == "error"
    return r.WriteResult(r.ResultCode.ERROR, result_text(code, row.sv, row.en))

FULL = r.Timeslot(
    healthcare_facility=UNIT, start=local(2026, 11, 17, 9, 0), end=local(2026, 11, 17, 9, 30), performer=PERFORMER,
    booking_id="GRD-1", subject_of_care="191212121212", purpose="Nybesök", reason="Ryggsmärta",
    resource_name="Rum 3", healthcare_facility_name="Vårdcentralen Gärdet", performer_name="Åsa Lindström",
    resource_id="RUM-3", time_type_name="Nybesök", time_type_id="NYB", care_type_name="Läkarvård",
    care_type_id="LAK", cancel_booking_allowed=True, rebooking_allowed=False, message_allowed=True,
    is_invitation=False)
INVITATION = r.Timeslot(healthcare_facility=UNIT, booking_id="INV-1", subject_of_care="19850415T123",
                        is_invitation=True, cancel_booking_allowed=False)
FREE = r.Timeslot(healthcare_facility=UNIT, start=local(2026, 11, 17, 10, 0), end=local(2026, 11, 17, 10, 30),
                  performer=PERFORMER, time_type_id="NYB")


def _standalone(element: etree._Element) -> etree._ElementTree:
    return etree.ElementTree(etree.fromstring(etree.tostring(element)))


CASES = {
    "make-ok": ("MakeBooking", r.make_booking_response(r.WriteResult(r.ResultCode.OK, None, "GRD-1"))),
    "make-info": ("MakeBooking", r.make_booking_response(info("BOOKING_UNCHANGED", booking_id="GRD-1"))),
    "make-error": ("MakeBooking", r.make_booking_response(error("TIME_NONEXISTENT", 422))),
    "update-ok": ("UpdateBooking", r.update_booking_response(r.WriteResult(r.ResultCode.OK))),
    "update-error": ("UpdateBooking", r.update_booking_response(error("BOOKING_UNKNOWN", 422))),
    "cancel-info": ("CancelBooking", r.cancel_booking_response(info("BOOKING_ALREADY_CANCELLED"))),
    "cancel-error": ("CancelBooking", r.cancel_booking_response(error("BOOKING_UNKNOWN", 422))),
    "details-full": ("GetBookingDetails", r.booking_details_response(FULL)),
    "details-invitation": ("GetBookingDetails", r.booking_details_response(INVITATION)),
    "schedule-empty": ("GetSubjectOfCareSchedule", r.subject_of_care_schedule_response([])),
    "schedule-many": ("GetSubjectOfCareSchedule", r.subject_of_care_schedule_response([FULL, INVITATION])),
    "free-empty": ("GetAvailableTimeslots", r.available_timeslots_response([])),
    "free-many": ("GetAvailableTimeslots", r.available_timeslots_response([FREE, FREE])),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_built_answer_is_valid(case: str, responder_schema: Schema) -> None:
    interaction, element = CASES[case]
    schema = responder_schema(interaction)
    assert schema.validate(_standalone(element)), "\n".join(str(e) for e in schema.error_log)


@pytest.mark.parametrize("code", sorted(code for code, row in ANSWER_OF.items() if row.kind == "error"))
def test_every_error_row_makes_a_valid_answer(code: str, responder_schema: Schema) -> None:
    for interaction, builder in (("MakeBooking", r.make_booking_response), ("UpdateBooking", r.update_booking_response),
                                 ("CancelBooking", r.cancel_booking_response)):
        assert responder_schema(interaction).validate(_standalone(builder(error(code, 422))))


def test_timeslot_children_are_core_namespace_and_invitation_ext() -> None:
    detail = r.booking_details_response(INVITATION)[0]
    assert etree.QName(detail).namespace == "urn:riv:crm:scheduling:GetBookingDetailsResponder:1"
    assert {etree.QName(child).namespace for child in detail} == {r.CORE_NS, r.EXT_NS}
    assert detail[-1].tag == f"{{{r.EXT_NS}}}isInvitation"


def test_ts_is_swedish_local_time_across_dst() -> None:
    assert r.ts(local(2026, 7, 1, 9, 0)) == "20260701090000"
    assert r.ts(dt.datetime(2026, 7, 1, 7, 0, tzinfo=dt.UTC)) == "20260701090000"  # +02:00 in summer
    assert r.ts(dt.datetime(2026, 1, 1, 8, 0, tzinfo=dt.UTC)) == "20260101090000"  # +01:00 in winter


@pytest.mark.parametrize("code", sorted(INFO_REMARKS))
def test_every_info_remark_makes_a_valid_answer(code: str, responder_schema: Schema) -> None:
    assert responder_schema("MakeBooking").validate(_standalone(r.make_booking_response(info(code, booking_id="B"))))


def test_unpatched_schema_would_reject_our_valid_answer(contract_dir: Path) -> None:
    # Why the tests patch a temp copy: the official ^…$ pattern rejects every real personnummer.
    path = contract_dir / "interactions/GetBookingDetailsInteraction/GetBookingDetailsResponder_1.1.xsd"
    schema = etree.XMLSchema(etree.parse(str(path)))
    assert not schema.validate(_standalone(r.booking_details_response(FULL)))
