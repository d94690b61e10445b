"""The crm:scheduling 1.1 producer (RIVTA BP 2.1, SOAP 1.1): one request envelope in, one answer out.

The HTTP side (``gateway/api/routes_rivta.py``) authenticates, reads the body within its limit,
checks the tenant and turns a refusal into ERROR or a Fault (``gateway/api/rivta_answers.py``). This
module does the rest, in this order, storing nothing before every check has passed:

1. the hardened XML parse and the envelope (:mod:`adapters.inbound.crm_scheduling.envelope`);
2. SOAPAction (when sent; some stacks send ``""``) and the Body's element are this endpoint's;
3. the message read by the crm:scheduling adapter, the very reader of ``POST /bookings`` (writes), or
   by the read-request readers (reads);
4. LogicalAddress equals every unit the message names (``LOGICAL_ADDRESS_MISMATCH``);
5. writes: one unit of work through the same event handlers as ``POST /bookings`` (idempotency,
   open invitations, conflicts, DST, published Slots), whose receipt keeps the SOAP answer so that a
   resend is answered byte for byte; reads: the store (:mod:`gateway.bookings.rivta_reads`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import orjson
from lxml import etree

from adapters.inbound.crm_scheduling import answers as rivta
from adapters.inbound.crm_scheduling import parse_element, units
from adapters.inbound.crm_scheduling.envelope import SoapRequest, envelope, fault, read_request
from adapters.inbound.crm_scheduling.read_requests import (
    read_available_timeslots,
    read_booking_details,
    read_schedule,
)
from adapters.inbound.crm_scheduling.times import is_ambiguous
from gateway.bookings import rivta_reads
from gateway.domain.booking import BookingAction, BookingEvent
from gateway.fhir.mappings import MappingSet
from gateway.ports.store import Store, StoreSession
from gateway.primitives.errors import MalformedInput, Unprocessable
from gateway.primitives.xmlsafe import XmlLimits, parse_xml
from gateway.state.writer import Outcome

__all__ = ["INTERACTIONS", "REMARKS", "Interaction", "RivtaProducer", "SoapRequest", "WriteDone", "envelope", "fault",
           "rivta", "write_answer"]

INTERACTIONS = rivta.INTERACTIONS
Interaction = rivta.Interaction


class Stored(Protocol):
    """The result of the pipeline's unit of work (``gateway.ingest.pipeline.PushResult``)."""

    @property
    def body(self) -> bytes: ...
    @property
    def replayed(self) -> bool: ...
    @property
    def outcomes(self) -> tuple[Outcome, ...]: ...


#: The INFO remarks (code -> svenska, English): stored, or found stored, with something to say.
REMARKS: dict[str, tuple[str, str]] = {
    "BOOKING_UNCHANGED": ("Bokningen var redan registrerad", "the booking was stored already, unchanged"),
    "BOOKING_ALREADY_CANCELLED": ("Bokningen var redan avbokad", "the booking was cancelled already"),
    "TIME_AMBIGUOUS_FIRST": ("Tiden tolkades som sommartid (första 02-timmen)",
                             "the overlap-hour time was read as its first occurrence (summer time)"),
}

_WRITE_ANSWERS = {"MakeBooking": rivta.make_booking_response, "UpdateBooking": rivta.update_booking_response,
                  "CancelBooking": rivta.cancel_booking_response}


@dataclass(frozen=True, slots=True)
class WriteDone:
    answer: bytes  # the SOAP answer envelope (OK or INFO)
    replayed: bool
    body: bytes  # the stored resource versions, as the audit's booking.push row reads them (JSON)


def write_answer(name: str, result: rivta.WriteResult) -> bytes:
    """The answer envelope of a write (OK, INFO or ERROR)."""
    return envelope(_WRITE_ANSWERS[name](result))


def _remark(events: list[BookingEvent], outcomes: list[Outcome]) -> str | None:
    """The INFO remark of a stored write, if any (gateway/api/rivta_answers.py: INFO_REMARKS)."""
    changed = any(outcome.changed for outcome in outcomes)
    for event in events:
        if not changed:
            return "BOOKING_ALREADY_CANCELLED" if event.action is BookingAction.CANCEL else "BOOKING_UNCHANGED"
        booking = event.booking
        if booking is not None and booking.start is not None and booking.end is not None and (
                is_ambiguous(booking.start.replace(tzinfo=None)) or is_ambiguous(booking.end.replace(tzinfo=None))):
            return "TIME_AMBIGUOUS_FIRST"
    return None


class RivtaProducer:
    def __init__(self, store: Store, mappings: MappingSet, *, limits: XmlLimits) -> None:
        self.store = store
        self.mappings = mappings
        self.limits = limits

    def request(self, spec: Interaction, body: bytes, soap_action: str | None) -> SoapRequest:
        request = read_request(parse_xml(body, max_bytes=self.limits.max_bytes, max_depth=self.limits.max_depth))
        action = (soap_action or "").strip().strip('"')
        if action and action != spec.soap_action:
            raise MalformedInput("SOAP_ACTION_MISMATCH",
                                 f"SOAPAction {action!r} is not {spec.soap_action!r} (this endpoint)")
        if request.body.tag != spec.request_tag:
            raise MalformedInput("SOAP_ACTION_MISMATCH", f"the Body holds {request.body.tag}; this endpoint takes "
                                 f"{spec.request_tag}", location="/Envelope/Body")
        return request

    @staticmethod
    def check_address(request: SoapRequest, unit_list: list[str]) -> None:
        for unit in unit_list:
            if unit != request.logical_address:
                raise Unprocessable("LOGICAL_ADDRESS_MISMATCH", f"LogicalAddress {request.logical_address} is not "
                                    f"the message's unit {unit}", location="/Envelope/Header/LogicalAddress")

    # --- writes ------------------------------------------------------------------------------------
    def write_events(self, request: SoapRequest, source: str) -> list[BookingEvent]:
        """The booking events of a write, read by the adapter of ``POST /bookings``, for its LogicalAddress."""
        events = parse_element(request.body, source=source)
        unit_list = [unit for event in events for unit in units(event)]
        med = request.body.find("{*}healthcare_facility_med")
        if med is not None and med.text and med.text.strip():
            unit_list.append(med.text.strip())
        self.check_address(request, unit_list)
        return events

    @staticmethod
    def receipt_key(name: str, body: bytes, source: str, *, digest: str | None = None) -> str:
        """``digest``: the body's SHA-256 (hex) when already computed (the audit note's), not hashed again."""
        if digest is None:
            digest = hashlib.sha256(body).hexdigest()
        return f"rivta:{name}:{source}:{digest}"

    def answer_renderer(self, spec: Interaction) -> Callable[[list[Any], list[Outcome]], bytes]:
        """The write's answer envelope (OK or INFO) from its events and outcomes: the ``render`` of the
        pipeline's unit of work (``BookingIngest.work``), whose receipt keeps it."""
        def render(events: list[Any], outcomes: list[Outcome]) -> bytes:
            booking_id = next((event.booking.booking_id for event in events if event.booking is not None), None)
            remark = _remark(events, outcomes)
            if remark is None:
                result = rivta.WriteResult(rivta.ResultCode.OK, None, booking_id)
            else:
                sv, en = REMARKS[remark]
                result = rivta.WriteResult(rivta.ResultCode.INFO, f"{remark}: {sv} / {en}", booking_id)
            return write_answer(spec.name, result)

        return render

    @staticmethod
    def write_work(work: Callable[[StoreSession], Stored]) -> Callable[[StoreSession], WriteDone]:
        """The write's unit of work: ``work`` is the pipeline's, as ``POST /bookings`` runs it, given
        :meth:`answer_renderer`; here its result becomes the SOAP answer and the audit's locations."""
        def unit_of_work(session: StoreSession) -> WriteDone:
            done = work(session)
            if done.replayed:
                return WriteDone(done.body, replayed=True, body=b'{"entry":[]}')
            locations = [{"response": {"location": f"{o.stored.resource_type}/{o.stored.id}/_history/"
                                                   f"{o.stored.version_id}"}} for o in done.outcomes]
            return WriteDone(done.body, replayed=False, body=orjson.dumps({"entry": locations}))

        return unit_of_work

    # --- reads -------------------------------------------------------------------------------------
    def read(self, spec: Interaction, request: SoapRequest) -> tuple[str, Callable[[], bytes]]:
        """The unit a read asks about (checked against the LogicalAddress here, the tenant by the
        caller) and the store query that answers it, to run once the tenant is checked."""
        element: etree._Element = request.body
        if spec.name == "GetBookingDetails":
            details = read_booking_details(element)
            self.check_address(request, [details.unit])
            return details.unit, lambda: envelope(rivta.booking_details_response(
                rivta_reads.booking_details(self.store, details)))
        if spec.name == "GetSubjectOfCareSchedule":
            schedule = read_schedule(element)
            self.check_address(request, [schedule.unit])
            return schedule.unit, lambda: envelope(rivta.subject_of_care_schedule_response(
                rivta_reads.subject_of_care_schedule(self.store, schedule)))
        available = read_available_timeslots(element)
        self.check_address(request, [available.unit])
        return available.unit, lambda: envelope(rivta.available_timeslots_response(
            rivta_reads.available_timeslots(self.store, available)))
