"""Wiring the observability pieces into a runtime: probe, readiness, scrape-time collectors.

Called at the end of :func:`gateway.bootstrap.runtime.build_runtime`; connections open on first use, so
building a runtime costs no extra round trip.
"""

from __future__ import annotations

from dataclasses import dataclass

from adapters.outbound.address_register import CachingAddressRegister
from gateway.observability.collectors import OutboxCollector, RegisterCacheCollector
from gateway.observability.metrics import GatewayMetrics
from gateway.observability.readiness import Readiness
from gateway.ports.outbound import AddressRegister
from gateway.primitives.database_url import DatabaseURL
from gateway.store.probe import DatabaseProbe

__all__ = ["Operations", "build_operations"]


@dataclass
class Operations:
    probe: DatabaseProbe
    readiness: Readiness

    def close(self) -> None:
        self.probe.close()


def build_operations(database: DatabaseURL, metrics: GatewayMetrics,
                     register: AddressRegister | None) -> Operations:
    probe = DatabaseProbe(database)
    metrics.watch(OutboxCollector(probe))
    if isinstance(register, CachingAddressRegister):
        metrics.watch(RegisterCacheCollector(register))
    return Operations(probe, Readiness(probe, register))
