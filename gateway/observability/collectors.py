"""Metrics read at scrape time: the outbox queue (from the database) and the register cache.

Computed when Prometheus asks rather than kept up to date on every change: the outbox is shared by
every process, so only the database knows its depth, and one cheap query per scrape (every 15-60 s)
costs less than bookkeeping on every claim. A scrape whose query fails still answers, with
``nordgate_database_up 0`` and without the outbox gauges, so that the failure itself is visible.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from adapters.outbound.address_register import CachingAddressRegister
from gateway.store.probe import DatabaseProbe

__all__ = ["OutboxCollector", "RegisterCacheCollector"]

_log = logging.getLogger("nordgate.metrics")


class OutboxCollector(Collector):
    def __init__(self, probe: DatabaseProbe) -> None:
        self._probe = probe

    def collect(self) -> Iterator[Metric]:
        try:
            queue = self._probe.outbox_queue()
        except Exception as exc:  # any driver error: report it as a value, never fail the scrape
            _log.warning("metrics: outbox query failed: %s", type(exc).__name__)
            yield GaugeMetricFamily("nordgate_database_up", "1 when the scrape's database query answered", value=0)
            return
        yield GaugeMetricFamily("nordgate_database_up", "1 when the scrape's database query answered", value=1)
        if queue is None:
            return
        yield GaugeMetricFamily("nordgate_outbox_depth", "Outbox messages queued for delivery (all processes)",
                                value=queue.depth)
        yield GaugeMetricFamily("nordgate_outbox_oldest_age_seconds",
                                "Age of the oldest queued outbox message, since its settlement was accepted",
                                value=queue.oldest_age_s)


class RegisterCacheCollector(Collector):
    def __init__(self, register: CachingAddressRegister) -> None:
        self._register = register

    def collect(self) -> Iterator[Metric]:
        stats = self._register.stats()
        yield CounterMetricFamily("nordgate_ar_cache_hits", "Address-register look-ups answered from the cache",
                                  value=stats.hits)
        yield CounterMetricFamily("nordgate_ar_cache_misses", "Address-register look-ups sent to the register",
                                  value=stats.misses)
        yield CounterMetricFamily("nordgate_ar_cache_negative_hits",
                                  "Look-ups answered 'no such HER-id' from the cache", value=stats.negative_hits)
        yield GaugeMetricFamily("nordgate_ar_cache_entries", "Entries in the address-register cache",
                                value=stats.entries)
