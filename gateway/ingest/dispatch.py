"""Which handler applies each kind of canonical event to the store: one explicit table, keyed by
domain event type (built in ``gateway/bootstrap/inbound.py``), so a new format that makes events of a
known type needs no new handler."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from gateway.fhir.mappings import MappingSet
from gateway.ingest.registry import InboundRegistry
from gateway.ports.store import StoreSession
from gateway.state.writer import Outcome

__all__ = ["Handler", "Handlers", "Inbound", "apply_event"]

Handler = Callable[[StoreSession, Any, MappingSet], list[Outcome]]
Handlers = Mapping[type, Handler]


def apply_event(handlers: Handlers, session: StoreSession, event: Any, mappings: MappingSet) -> list[Outcome]:
    try:
        handler = handlers[type(event)]
    except KeyError:
        raise TypeError(f"no handler for {type(event).__name__}") from None
    return handler(session, event, mappings)


@dataclass(frozen=True)
class Inbound:
    """The inbound side of a gateway: the formats it takes and the handler of each event they make."""

    registry: InboundRegistry
    handlers: Handlers

    def apply(self, session: StoreSession, event: Any, mappings: MappingSet) -> list[Outcome]:
        return apply_event(self.handlers, session, event, mappings)
