"""A zeep client built from the official WSDLs drives a running ``nordgate serve`` through every
crm:scheduling 1.1 interaction (issue 12's acceptance): each answer is parsed by zeep (a Fault as
``zeep.exceptions.Fault``) and checked field by field, and every answer that went over the wire is
validated against its official responder XSD."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from lxml import etree
from zeep import Client, Plugin
from zeep.exceptions import Fault
from zeep.transports import Transport

from gateway.bookings.rivta_producer import INTERACTIONS
from tests.auth_helpers import DEFAULT_CLIENT
from tests.faults.processes import Gateway
from tests.gateway.api.rivta.conftest import OTHER_CLIENT, OTHER_UNIT, PERFORMER, UNIT

PNR = "191212121212"
OTHER_PNR = "197010632391"
SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
KEY = DEFAULT_CLIENT.headers["Authorization"]
OTHER_KEY = OTHER_CLIENT.headers["Authorization"]


class Capture(Plugin):  # type: ignore[misc]
    """Keeps the last answer envelope zeep received, for XSD validation of what went over the wire."""

    def __init__(self) -> None:
        self.last: etree._Element | None = None

    def ingress(self, envelope: etree._Element, http_headers: Any, operation: Any) -> tuple[Any, Any]:
        self.last = envelope
        return envelope, http_headers


Call = Callable[..., Any]


@pytest.fixture(scope="module")
def call(gateway: Gateway, contract_dir: Path, responder_schema: Callable[[str], etree.XMLSchema]) -> Iterator[Call]:
    clients: dict[tuple[str, str], tuple[Any, Capture]] = {}
    validated: dict[str, int] = {}

    def soap(interaction: str, *, key: str = KEY, logical_address: str = UNIT, actor: Any = None, **body: Any) -> Any:
        if (interaction, key) not in clients:
            session = requests.Session()
            session.headers["Authorization"] = key
            capture = Capture()
            spec = INTERACTIONS[interaction]
            client = Client(str(contract_dir / spec.wsdl_file), transport=Transport(session=session),
                            plugins=[capture])
            clients[interaction, key] = (client.create_service(spec.binding, gateway.base + spec.path), capture)
        service, capture = clients[interaction, key]
        capture.last = None
        try:
            headers = {"LogicalAddress": logical_address, **({"actor": actor} if actor else {})}
            return getattr(service, interaction)(_soapheaders=headers, **body)
        finally:
            if capture.last is not None:
                payload = capture.last.find(f"{{{SOAP11}}}Body")[0]
                if etree.QName(payload).localname != "Fault":
                    schema = responder_schema(interaction)
                    document = etree.ElementTree(etree.fromstring(etree.tostring(payload)))
                    assert schema.validate(document), "\n".join(str(error) for error in schema.error_log)
                    validated[interaction] = validated.get(interaction, 0) + 1

    yield soap
    # Every interaction's wire answers were validated against its responder XSD at least once.
    assert set(validated) == set(INTERACTIONS), validated


def slot(start: str, end: str, booking_id: str, *, pnr: str = PNR, unit: str = UNIT, **extra: Any) -> dict[str, Any]:
    return {"startTimeInclusive": start, "endTimeExclusive": end, "healthcare_facility": unit,
            "performer": PERFORMER, "bookingId": booking_id, "subject_of_care": pnr, **extra}


def make(call: Call, timeslot: dict[str, Any], **kw: Any) -> Any:
    return call("MakeBooking", healthcare_facility_med=timeslot["healthcare_facility"], requestedTimeslot=timeslot,
                subject_of_care_info={"firstName": "Tolvan", "lastName": "Tolvansson"}, **kw)


def free(call: Call, day: str = "20261117", **kw: Any) -> list[tuple[str, str]]:
    answer = call("GetAvailableTimeslots", healthcare_facility=UNIT, startDateInclusive=day, endDateInclusive=day,
                  subject_of_care=PNR, **kw)
    return [(t.startTimeInclusive, t.performer) for t in answer.timeslotDetail]


def test_book_read_reschedule_cancel(call: Call) -> None:
    assert free(call) == [("20261117090000", PERFORMER), ("20261117100000", PERFORMER),
                          ("20261117110000", PERFORMER)]
    answer = make(call, slot("20261117090000", "20261117093000", "B-1", cancel_booking_allowed=True,
                             rebooking_allowed=False, timeTypeID="NYB", timeTypeName="Nybesök"))
    assert (answer.bookingId, answer.resultCode, answer.resultText) == ("B-1", "OK", None)
    assert free(call) == [("20261117100000", PERFORMER), ("20261117110000", PERFORMER)]  # the booked time is gone

    detail = call("GetBookingDetails", healthcare_facility=UNIT, bookingId="B-1").timeslotDetail
    assert (detail.startTimeInclusive, detail.endTimeExclusive, detail.healthcare_facility, detail.bookingId,
            detail.subject_of_care, detail.performer, detail.timeTypeID, detail.timeTypeName) == (
        "20261117090000", "20261117093000", UNIT, "B-1", PNR, PERFORMER, "NYB", "Nybesök")
    assert (detail.cancel_booking_allowed, detail.rebooking_allowed, detail.message_allowed) == (True, False, None)
    assert detail.isInvitation is None

    schedule = call("GetSubjectOfCareSchedule", healthcare_facility=UNIT, subject_of_care=PNR).timeslotDetail
    assert [(t.bookingId, t.startTimeInclusive, t.subject_of_care) for t in schedule] == [
        ("B-1", "20261117090000", PNR)]

    moved = call("UpdateBooking", requestedTimeslot=slot("20261117100000", "20261117103000", "B-1"))
    assert (moved.resultCode, moved.resultText) == ("OK", None)
    assert free(call) == [("20261117090000", PERFORMER), ("20261117110000", PERFORMER)]  # 09:00 free again
    detail = call("GetBookingDetails", healthcare_facility=UNIT, bookingId="B-1").timeslotDetail
    assert (detail.startTimeInclusive, detail.endTimeExclusive) == ("20261117100000", "20261117103000")

    taken = make(call, slot("20261117100000", "20261117103000", "B-2", pnr=OTHER_PNR))
    assert (taken.resultCode, taken.bookingId) == ("ERROR", None)
    assert taken.resultText == "SLOT_TAKEN: Tiden är redan bokad / the time is booked already"

    cancelled = call("CancelBooking", healthcare_facility=UNIT, bookingId="B-1", message="Förhinder")
    assert (cancelled.resultCode, cancelled.resultText) == ("OK", None)
    assert ("20261117100000", PERFORMER) in free(call)  # the cancelled time is free again
    again = call("CancelBooking", healthcare_facility=UNIT, bookingId="B-1")
    assert again.resultCode == "INFO" and again.resultText.startswith("BOOKING_ALREADY_CANCELLED: ")
    assert call("GetSubjectOfCareSchedule", healthcare_facility=UNIT, subject_of_care=PNR).timeslotDetail == []


def test_filters_of_available_timeslots(call: Call) -> None:
    assert free(call, "20261118") == [("20261118090000", "SE2321000131-P000000000999")]
    assert free(call, "20261118", performer=[PERFORMER]) == []
    assert free(call, "20261118", timeTypeID="ATB") == [("20261118090000", "SE2321000131-P000000000999")]
    assert free(call, "20261118", timeTypeID="NYB") == []
    answer = call("GetAvailableTimeslots", healthcare_facility=UNIT, startDateInclusive="20261118",
                  endDateInclusive="20261118", subject_of_care=PNR)
    [detail] = answer.timeslotDetail
    assert (detail.healthcare_facility, detail.endTimeExclusive, detail.healthcare_facility_name, detail.timeTypeID,
            detail.careTypeID, detail.subject_of_care, detail.bookingId) == (
        UNIT, "20261118093000", "Vårdcentralen Gärdet", "ATB", "LAK", None, None)


def test_open_invitation_answered_once(call: Call) -> None:
    invitation = {"healthcare_facility": UNIT, "bookingId": "INV-1", "subject_of_care": PNR,
                  "purpose": "Kallelse till provtagning", "cancel_booking_allowed": False, "isInvitation": True}
    first = make(call, invitation)
    assert (first.resultCode, first.bookingId, first.resultText) == ("OK", "INV-1", None)
    detail = call("GetBookingDetails", healthcare_facility=UNIT, bookingId="INV-1").timeslotDetail
    assert (detail.isInvitation, detail.startTimeInclusive, detail.purpose, detail.cancel_booking_allowed) == (
        True, None, "Kallelse till provtagning", False)
    schedule = call("GetSubjectOfCareSchedule", healthcare_facility=UNIT, subject_of_care=PNR).timeslotDetail
    assert [(t.bookingId, t.isInvitation) for t in schedule][-1] == ("INV-1", True)  # invitations last
    answer = make(call, slot("20261117110000", "20261117113000", "INV-1"))
    assert (answer.resultCode, answer.bookingId, answer.resultText) == ("OK", "INV-1", None)
    detail = call("GetBookingDetails", healthcare_facility=UNIT, bookingId="INV-1").timeslotDetail
    assert (detail.startTimeInclusive, detail.purpose, detail.cancel_booking_allowed, detail.isInvitation) == (
        "20261117110000", "Kallelse till provtagning", False, None)  # the invitation's details kept
    second = make(call, slot("20261117090000", "20261117093000", "INV-1"))
    assert second.resultCode == "ERROR"
    assert second.resultText == ("INVITATION_ALREADY_BOOKED: Kallelsen är redan bokad / "
                                 "the open invitation is booked already")
    # The exact same request again is a replay: the first answer, byte for byte (receipt).
    replay = make(call, slot("20261117110000", "20261117113000", "INV-1"))
    assert (replay.resultCode, replay.bookingId, replay.resultText) == ("OK", "INV-1", None)
    # Another request (here with an Actor header) with the same content stores nothing new: INFO.
    same = make(call, slot("20261117110000", "20261117113000", "INV-1"),
                actor={"actorId": PNR, "actorType": "subject_of_care"})
    assert (same.resultCode, same.bookingId) == ("INFO", "INV-1")
    assert same.resultText.startswith("BOOKING_UNCHANGED: ")


@pytest.mark.parametrize(("timeslot", "code"), [
    (slot("20270328023000", "20270328030000", "DST-1"), "TIME_NONEXISTENT"),
    (slot("20261201090000", "20261201093000", "PNR-1", pnr="191212121213"), "SUBJECT_OF_CARE_CHECK_DIGIT"),
    (slot("20261201090000", "20261201093000", "U-1", unit=OTHER_UNIT), "LOGICAL_ADDRESS_MISMATCH"),
])
def test_make_booking_errors(call: Call, timeslot: dict[str, Any], code: str) -> None:
    answer = make(call, timeslot)
    assert (answer.resultCode, answer.bookingId) == ("ERROR", None)
    assert answer.resultText.startswith(f"{code}: ") and " / " in answer.resultText
    with pytest.raises(Fault):  # nothing was stored
        call("GetBookingDetails", healthcare_facility=UNIT, bookingId=timeslot["bookingId"])


def test_dst_overlap_is_info(call: Call) -> None:
    answer = make(call, slot("20261025023000", "20261025030000", "DST-2"))
    assert (answer.resultCode, answer.bookingId) == ("INFO", "DST-2")
    assert answer.resultText.startswith("TIME_AMBIGUOUS_FIRST: ")


def test_tenant_key_for_another_unit(call: Call) -> None:
    answer = make(call, slot("20261201100000", "20261201103000", "T-1"), key=OTHER_KEY)
    assert answer.resultCode == "ERROR" and answer.resultText.startswith("TENANT_FORBIDDEN: ")
    with pytest.raises(Fault) as raised:
        call("GetSubjectOfCareSchedule", key=OTHER_KEY, healthcare_facility=UNIT, subject_of_care=PNR)
    assert raised.value.code == "soap:Client" and raised.value.message.startswith("TENANT_FORBIDDEN: ")
    assert raised.value.detail.findtext("{urn:nordgate:fault:1}code") == "TENANT_FORBIDDEN"


def test_unknown_booking(call: Call) -> None:
    update = call("UpdateBooking", requestedTimeslot=slot("20261201090000", "20261201093000", "NOPE"))
    assert update.resultCode == "ERROR" and update.resultText.startswith("BOOKING_UNKNOWN: ")
    cancel = call("CancelBooking", healthcare_facility=UNIT, bookingId="NOPE")
    assert cancel.resultCode == "ERROR"
    assert cancel.resultText == "BOOKING_UNKNOWN: Bokningen finns inte / no such booking at the unit"
    with pytest.raises(Fault) as raised:  # GetBookingDetailsResponse has no resultCode: a Fault
        call("GetBookingDetails", healthcare_facility=UNIT, bookingId="NOPE")
    assert raised.value.code == "soap:Client" and raised.value.message.startswith("BOOKING_UNKNOWN: ")
    assert raised.value.detail.findtext("{urn:nordgate:fault:1}code") == "BOOKING_UNKNOWN"


def test_read_with_bad_personnummer_is_a_fault(call: Call) -> None:
    with pytest.raises(Fault) as raised:
        call("GetSubjectOfCareSchedule", healthcare_facility=UNIT, subject_of_care="191212121213")
    assert raised.value.message.startswith("SUBJECT_OF_CARE_CHECK_DIGIT: ")


def test_wrong_logical_address(call: Call) -> None:
    with pytest.raises(Fault) as raised:
        call("GetBookingDetails", logical_address=OTHER_UNIT, healthcare_facility=UNIT, bookingId="B-1")
    assert raised.value.message.startswith("LOGICAL_ADDRESS_MISMATCH: ")
    answer = make(call, slot("20261201120000", "20261201123000", "LA-1"), logical_address=OTHER_UNIT)
    assert answer.resultCode == "ERROR" and answer.resultText.startswith("LOGICAL_ADDRESS_MISMATCH: ")


def test_group_session_in_the_citizens_schedule(gateway: Gateway, call: Call) -> None:
    """An Elvis group session the citizen is booked on is one of their times (1177 level 1)."""
    sample = Path(__file__).resolve().parents[4] / "samples" / "elvis" / "01-group-session-booking-adhd-ung.xml"
    reply = requests.post(f"{gateway.base}/bookings", data=sample.read_bytes(), timeout=30,
                          headers={"Authorization": KEY, "Content-Type": "application/xml"})
    assert reply.status_code == 200, reply.text
    unit = "SE2321000131-E000000011111"
    schedule = call("GetSubjectOfCareSchedule", logical_address=unit, healthcare_facility=unit,
                    subject_of_care="200807141007").timeslotDetail
    assert len(schedule) == 1
    [detail] = schedule
    assert (detail.healthcare_facility, detail.startTimeInclusive, detail.endTimeExclusive,
            detail.subject_of_care, detail.bookingId) == (unit, "20260908140000", "20260908153000", "200807141007",
                                                          detail.bookingId)
    assert detail.bookingId.startswith("BUP-100")


@pytest.mark.parametrize("interaction", sorted(INTERACTIONS))
def test_wsdl_is_served_with_our_address_and_resolvable_imports(gateway: Gateway, interaction: str) -> None:
    spec = INTERACTIONS[interaction]
    session = requests.Session()
    session.headers["Authorization"] = KEY
    reply = session.get(gateway.base + spec.path + "?wsdl", timeout=10)
    assert reply.status_code == 200
    document = etree.fromstring(reply.content)
    [address] = document.iter("{http://schemas.xmlsoap.org/wsdl/soap/}address")
    assert address.get("location") == gateway.base + spec.path
    [operation] = document.iter("{http://schemas.xmlsoap.org/wsdl/soap/}operation")
    assert operation.get("soapAction") == spec.soap_action
    # zeep resolves every import over HTTP from us and builds the service from the served WSDL alone.
    client = Client(gateway.base + spec.path + "?wsdl", transport=Transport(session=session))
    assert spec.binding in client.wsdl.bindings
    ports = next(iter(client.wsdl.services.values())).ports
    assert next(iter(ports.values())).binding_options["address"] == gateway.base + spec.path


def test_xsd_outside_the_tree_is_not_served(gateway: Gateway) -> None:
    for bad in ("../../etc/passwd", "/etc/passwd", "core_components/../../x.xsd", "nope.xsd"):
        reply = requests.get(gateway.base + "/rivta/MakeBooking/1/rivtabp21", params={"xsd": bad}, timeout=5,
                             headers={"Authorization": KEY})
        assert reply.status_code == 404, bad


def test_zeep_from_the_served_wsdl_alone(gateway: Gateway) -> None:
    session = requests.Session()
    session.headers["Authorization"] = KEY
    client = Client(gateway.base + "/rivta/GetAvailableTimeslots/1/rivtabp21?wsdl",
                    transport=Transport(session=session))
    answer = client.service.GetAvailableTimeslots(
        _soapheaders={"LogicalAddress": UNIT}, healthcare_facility=UNIT, startDateInclusive="20261118",
        endDateInclusive="20261118", subject_of_care=PNR)
    assert [t.startTimeInclusive for t in answer.timeslotDetail] == ["20261118090000"]
