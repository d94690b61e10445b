"""A scheduling message from bytes to stored, versioned FHIR: the push pipeline.

1. exact replay: the receipt of (source, FHIR release, body hash) answers at once, byte for byte;
2. parse (the format the registry recognises, :mod:`gateway.ingest.registry`) outside the store's lock;
3. one unit of work per message, inside one transaction: apply every event, render the answer, save
   the receipt. A refused event rolls the whole message back; nothing of it is stored.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from gateway.fhir.common import FhirVersion
from gateway.fhir.kinds import render_record, render_stored
from gateway.fhir.mappings import MappingSet
from gateway.ingest.dispatch import Inbound
from gateway.ingest.registry import Parsed
from gateway.ports.store import Store, StoreSession
from gateway.primitives.xmlsafe import XmlLimits
from gateway.state.writer import Outcome

__all__ = ["BookingIngest", "PushResult", "Render"]

JSON = dict[str, Any]


@dataclass(frozen=True, slots=True)
class PushResult:
    body: bytes  # the answer stored in the receipt: today's Bundle (JSON) unless the work was given a renderer
    replayed: bool
    outcomes: tuple[Outcome, ...] = ()  # what the events stored (empty for a replay)


#: Renders a message's answer from its events and their outcomes (the bytes the receipt keeps).
Render = Callable[[list[Any], list[Outcome]], bytes]


class BookingIngest:
    def __init__(self, store: Store, mappings: MappingSet, *, inbound: Inbound, base_url: str,
                 limits: XmlLimits | None = None) -> None:
        self.store = store
        self.mappings = mappings
        self.inbound = inbound
        self.base_url = base_url.rstrip("/")
        self.limits = limits or XmlLimits()

    @staticmethod
    def receipt_key(body: bytes, source: str, version: FhirVersion, *, digest: str | None = None) -> str:
        """``digest``: the body's SHA-256 (hex) when already computed (the audit note's), not hashed again."""
        if digest is None:
            digest = hashlib.sha256(body).hexdigest()
        return f"booking:{source}:{version.value}:{digest}"

    def read(self, body: bytes, source: str) -> Parsed:
        """The message's format and events (the registry's 4xx when no format takes it)."""
        return self.inbound.registry.read(body, source=source, limits=self.limits)

    def parse(self, body: bytes, source: str) -> list[Any]:
        return self.read(body, source).events

    def entry(self, outcome: Outcome, version: FhirVersion) -> JSON:
        stored = outcome.stored
        return {
            "fullUrl": f"{self.base_url}/{stored.resource_type}/{stored.id}",
            "resource": render_record(outcome.record, stored, self.mappings, version)
            if outcome.record is not None else render_stored(stored, self.mappings, version),
            "response": {
                "status": "201 Created" if outcome.created else "200 OK",
                "location": f"{stored.resource_type}/{stored.id}/_history/{stored.version_id}",
                "etag": f'W/"{stored.version_id}"',
                "lastModified": stored.last_updated,
            },
        }

    def bundle(self, outcomes: list[Outcome], version: FhirVersion) -> bytes:
        """The batch-response Bundle answered to ``POST /bookings``."""
        return orjson.dumps({"resourceType": "Bundle", "type": "batch-response",
                             "entry": [self.entry(outcome, version) for outcome in _last_per_resource(outcomes)]})

    def work(self, key: str, events: list[Any], version: FhirVersion,
             render: Render | None = None) -> Callable[[StoreSession], PushResult]:
        """One message's unit of work: the receipt's replay, or every event applied, the answer rendered
        (``render``, by default the batch-response Bundle) and saved as the receipt."""
        def unit_of_work(session: StoreSession) -> PushResult:
            replay = session.receipt(key)
            if replay is not None:
                return PushResult(replay, replayed=True)
            outcomes: list[Outcome] = []
            for event in events:
                outcomes += self.inbound.apply(session, event, self.mappings)
            body = render(events, outcomes) if render is not None else self.bundle(outcomes, version)
            session.save_receipt(key, body)
            return PushResult(body, replayed=False, outcomes=tuple(outcomes))

        return unit_of_work

    def push(self, body: bytes, *, source: str, version: FhirVersion = FhirVersion.R4) -> PushResult:
        """Synchronous push (CLI, tests). The HTTP API batches the same work through a group commit."""
        key = self.receipt_key(body, source, version)
        replay = self.store.receipt(key)
        if replay is not None:
            return PushResult(replay, replayed=True)
        events = self.parse(body, source)
        [result] = self.store.write_batch([self.work(key, events, version)])
        if isinstance(result, BaseException):
            raise result
        return result


def _last_per_resource(outcomes: list[Outcome]) -> list[Outcome]:
    """A schedule may touch one booking twice; the answer shows each resource once, as it ended."""
    latest: dict[tuple[str, str], Outcome] = {}
    for outcome in outcomes:
        key = (outcome.stored.resource_type, outcome.stored.id)
        previous = latest.get(key)
        created = outcome.created or (previous.created if previous else False)
        changed = outcome.changed or (previous.changed if previous else False)
        latest[key] = Outcome(outcome.stored, created=created, changed=changed, record=outcome.record)
    return list(latest.values())
