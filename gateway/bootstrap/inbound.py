"""The inbound side: the table of inbound formats, the handler of each event they make, and the
booking pipeline built from them.

**Adding an inbound format** is one adapter package (``adapters/inbound/<format>``, exposing an
:class:`~gateway.ports.inbound.InboundFormat`) and one entry in :data:`INBOUND_FORMATS`. A format
whose events are of a new domain type also adds that type's handler to :func:`event_handlers`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from adapters.inbound import crm_scheduling, elvis, no_group
from gateway.bookings.service import booking_handler
from gateway.domain.availability import AvailableTimeslots
from gateway.domain.booking import BookingEvent
from gateway.domain.group_appointments import GroupAppointmentEvent
from gateway.fhir.mappings import MappingSet
from gateway.groups.elvis_service import handlers as elvis_handlers
from gateway.groups.no_service import apply_group_event
from gateway.ingest.dispatch import Handler, Inbound
from gateway.ingest.pipeline import BookingIngest
from gateway.ingest.registry import InboundRegistry
from gateway.ports.inbound import InboundFormat
from gateway.ports.store import Store
from gateway.primitives.errors import ConfigurationError
from gateway.primitives.xmlsafe import XmlLimits
from gateway.schedule.service import apply_available_timeslots, schedule_id, slot_id
from gateway.store.sqlite import SQLiteStore

__all__ = ["INBOUND_FORMATS", "booking_ingest", "event_handlers", "inbound", "memory_store", "required_maps"]

#: The inbound formats this gateway takes, in the order they are asked whether a message is theirs.
INBOUND_FORMATS: tuple[InboundFormat, ...] = (
    crm_scheduling.INBOUND_FORMAT,
    no_group.INBOUND_FORMAT,
    elvis.INBOUND_FORMAT,
)


def _slot_of(facility: str, performer: str | None, resource_id: str | None, start: dt.datetime,
             end: dt.datetime) -> str:
    # Bookings take published Slots by the schedule service's ids (the feature rules do not import each other).
    return slot_id(schedule_id(facility, performer, resource_id), start, end)


def event_handlers() -> dict[type, Handler]:
    """The feature service that applies each kind of canonical event to the store."""
    return {BookingEvent: booking_handler(_slot_of), AvailableTimeslots: apply_available_timeslots,
            GroupAppointmentEvent: apply_group_event, **elvis_handlers()}


def inbound(formats: Sequence[InboundFormat] | None = None) -> Inbound:
    """The registry of ``formats`` (default :data:`INBOUND_FORMATS`) with the event handlers; a
    format making events no handler takes stops start-up."""
    registry = InboundRegistry(INBOUND_FORMATS if formats is None else formats)
    handlers = event_handlers()
    unhandled = sorted(kind.__name__ for kind in registry.event_types if kind not in handlers)
    if unhandled:
        raise ConfigurationError("SETTINGS_INVALID", f"no handler for the events {', '.join(unhandled)} of an "
                                 "inbound format (gateway/bootstrap/inbound.py)")
    return Inbound(registry, handlers)


def required_maps(formats: Sequence[InboundFormat] | None = None) -> tuple[str, ...]:
    """The ConceptMaps the formats' rules need: start-up refuses a mappings folder without one."""
    return InboundRegistry(INBOUND_FORMATS if formats is None else formats).required_maps


def booking_ingest(store: Store, mappings: MappingSet, *, base_url: str, limits: XmlLimits | None = None,
                   formats: Sequence[InboundFormat] | None = None) -> BookingIngest:
    return BookingIngest(store, mappings, inbound=inbound(formats), base_url=base_url, limits=limits)


def memory_store() -> Store:
    """A store that lives as long as the object: previews and ``nordgate map`` store nothing."""
    return SQLiteStore(":memory:")
