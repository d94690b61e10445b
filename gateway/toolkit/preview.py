"""Preview: what a message becomes, with the trace of every coded and identifier field, stored nowhere.

The same pipeline as a push (detect format, parse, apply the rules, render) on an in-memory store
made for this one preview, as ``nordgate map`` does: ``given`` messages are applied first (state
only, e.g. the open invitation an answer refers to), then the message itself. Its Bundle is exactly
what ``nordgate map`` prints, so it compares with a sample's expected file.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from gateway.bootstrap.inbound import memory_store
from gateway.fhir.common import FhirVersion
from gateway.fhir.kinds import decode_stored, render_record
from gateway.fhir.mappings import MappingSet
from gateway.ingest.dispatch import Inbound
from gateway.ingest.pipeline import BookingIngest
from gateway.ports.store import StoreSession
from gateway.primitives.errors import NordgateError
from gateway.primitives.xmlsafe import XmlLimits
from gateway.state.writer import Outcome
from gateway.toolkit.mapper import PREVIEW_BASE
from gateway.trace.collector import Trace
from gateway.trace.fields import trace_resource
from gateway.trace.rules import event_name
from gateway.trace.sources import annotate

__all__ = ["Message", "Preview", "preview"]

JSON = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Message:
    body: bytes
    name: str | None = None  # a file name: error locations are prefixed with it, as `nordgate map` does


@dataclass(frozen=True, slots=True)
class Preview:
    format: str
    events: list[JSON]
    bundle: JSON
    trace: list[JSON]

    def to_json(self) -> JSON:
        return {"format": self.format, "events": self.events, "bundle": self.bundle, "trace": self.trace}


@contextmanager
def _named(message: Message) -> Iterator[None]:
    try:
        yield
    except NordgateError as error:
        if message.name:
            error.location = f"{message.name}:{error.location}" if error.location else message.name
        raise


def _event_json(event: Any) -> JSON:
    return {"event": event_name(event), "type": type(event).__name__,
            "location": getattr(event, "location", "/"), "source": getattr(event, "source", None)}


def _apply(events: list[Any], mappings: MappingSet, inbound: Inbound) -> Any:
    def unit_of_work(session: StoreSession) -> dict[tuple[str, str], tuple[Outcome, Any]]:
        # Each resource once, in first-touched order, as it ended and with the event that left it so
        # (the order and content `nordgate map` gives).
        touched: dict[tuple[str, str], tuple[Outcome, Any]] = {}
        for event in events:
            for outcome in inbound.apply(session, event, mappings):
                touched[outcome.stored.resource_type, outcome.stored.id] = (outcome, event)
        return touched

    return unit_of_work


def preview(message: Message, *, given: Sequence[Message] = (), source: str, version: FhirVersion,
            mappings: MappingSet, inbound: Inbound, limits: XmlLimits | None = None) -> Preview:
    """Raises the NordgateError a push of these messages would (4xx), with named locations.
    ``inbound`` is the running gateway's (its formats and handlers): a preview takes what a push takes."""
    store = memory_store()
    try:
        ingest = BookingIngest(store, mappings, inbound=inbound, base_url=PREVIEW_BASE, limits=limits)
        for item in given:
            with _named(item):
                ingest.push(item.body, source=source, version=version)
        with _named(message):
            parsed = ingest.read(message.body, source)
            events = parsed.events
            [result] = store.write_batch([_apply(events, mappings, inbound)])
            if isinstance(result, BaseException):
                raise result
    finally:
        store.close()
    trace = Trace()
    entries: list[JSON] = []
    for outcome, event in result.values():
        stored = outcome.stored
        record = outcome.record if outcome.record is not None else decode_stored(stored)
        start = len(trace.entries)
        resource = render_record(record, stored, mappings, version,
                                 observe=lambda rendered, resource: trace_resource(trace, rendered, resource, mappings))
        annotate(trace.entries[start:], event, record, parsed.format.source_table(event))
        entries.append({"fullUrl": f"{PREVIEW_BASE}/{stored.resource_type}/{stored.id}", "resource": resource})
    return Preview(format=parsed.format.name, events=[_event_json(event) for event in events],
                   bundle={"resourceType": "Bundle", "type": "collection", "entry": entries},
                   trace=trace.to_json())
