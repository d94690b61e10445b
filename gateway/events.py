"""Which handler applies each kind of canonical event to the store (one explicit table)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from gateway.fhir.mappings import MappingSet
from gateway.ports.store import StoreSession
from gateway.state.writer import Outcome

__all__ = ["Handler", "apply_event"]

Handler = Callable[[StoreSession, Any, MappingSet], list[Outcome]]


@functools.cache
def _handlers() -> dict[type, Handler]:
    from gateway.bookings.service import apply_event as apply_booking_event  # noqa: PLC0415
    from gateway.domain.availability import AvailableTimeslots  # noqa: PLC0415
    from gateway.domain.booking import BookingEvent  # noqa: PLC0415
    from gateway.domain.group_appointments import GroupAppointmentEvent  # noqa: PLC0415
    from gateway.groups.elvis_service import handlers as elvis_handlers  # noqa: PLC0415
    from gateway.groups.no_service import apply_group_event  # noqa: PLC0415
    from gateway.schedule.service import apply_available_timeslots  # noqa: PLC0415

    return {BookingEvent: apply_booking_event, AvailableTimeslots: apply_available_timeslots,
            GroupAppointmentEvent: apply_group_event, **elvis_handlers()}


def apply_event(session: StoreSession, event: Any, mappings: MappingSet) -> list[Outcome]:
    try:
        handler = _handlers()[type(event)]
    except KeyError:
        raise TypeError(f"no handler for {type(event).__name__}") from None
    return handler(session, event, mappings)
