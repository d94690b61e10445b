"""Prometheus metrics of one gateway process, served at ``GET /metrics``.

- ``nordgate_pushes_total`` (counter): pushed messages by ``format`` (crm-scheduling,
  elvis-group-visit, no-group-appointment, unknown) and ``outcome`` (stored, replayed, refused, failed);
- ``nordgate_mapping_errors_total`` (counter): refused pushes by ``code`` (the OperationOutcome code,
  e.g. TIME_NONEXISTENT);
- ``nordgate_deliveries_total`` (counter): outbox delivery attempts by ``outcome`` (sent, retry, failed);
- ``nordgate_signing_seconds`` (histogram): signing one MsgHead, by signer ``kind``;
- ``nordgate_http_request_duration_seconds`` (histogram): by ``method``, ``route`` (the route
  template, e.g. ``/fhir/{resource_type}/{id}``) and ``status``;
- read from the database at scrape time: ``nordgate_outbox_depth``,
  ``nordgate_outbox_oldest_age_seconds``, ``nordgate_database_up``;
- read from the register cache at scrape time: ``nordgate_ar_cache_hits_total``,
  ``nordgate_ar_cache_misses_total``, ``nordgate_ar_cache_negative_hits_total``,
  ``nordgate_ar_cache_entries``;

plus the client library's ``process_*`` and ``python_*`` metrics.

**One registry per runtime, not the library's global one**: a test process builds many apps, and
the global registry refuses a second metric of the same name; nothing is registered at import time.
**Several processes**: every process counts its own and serves its own ``/metrics``; scrape each
process (not through the load balancer, which would show a random one each time) and ``sum`` over
instances. The outbox gauges come from the shared database, so every process reports the same value:
take ``max``, not ``sum``. (prometheus_client's multiprocess mode is for forked workers of one server
sharing a directory, which is not how the gateway scales.)
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Final

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    gc_collector,
    generate_latest,
    platform_collector,
    process_collector,
)
from prometheus_client.registry import Collector

from gateway.primitives.errors import NordgateError

__all__ = ["CONTENT_TYPE", "GatewayMetrics", "PushObservation", "Sniff"]

#: The inbound format of a pushed body, from its bytes (the registry's, gateway/ingest/registry.py).
Sniff = Callable[[bytes | None], str]

CONTENT_TYPE: Final = CONTENT_TYPE_LATEST
# Request latency: a push is ~5-200 ms under load, a FHIR read ~1-20 ms; a settlement up to seconds.
_LATENCY_BUCKETS: Final = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
# Signing a MsgHead: ~2 ms for one bill, ~200 ms for 10,000 (benchmarks/README.md).
_SIGNING_BUCKETS: Final = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


def _unknown(_: bytes | None) -> str:
    return "unknown"


class PushObservation:
    """What :meth:`GatewayMetrics.push` learns while a push runs."""

    __slots__ = ("body", "format", "replayed")

    def __init__(self) -> None:
        self.body: bytes | None = None
        self.format: str | None = None  # the format the message was read as, once parsed
        self.replayed = False


class GatewayMetrics:
    def __init__(self, *, sniff: Sniff = _unknown) -> None:
        self._sniff = sniff
        self.registry = CollectorRegistry()
        registry = self.registry
        self.pushes = Counter("nordgate_pushes", "Pushed messages by inbound format and outcome",
                              ["format", "outcome"], registry=registry)
        self.mapping_errors = Counter("nordgate_mapping_errors", "Refused pushes by error code", ["code"],
                                      registry=registry)
        self.deliveries = Counter("nordgate_deliveries", "Outbox delivery attempts by outcome", ["outcome"],
                                  registry=registry)
        self.signing = Histogram("nordgate_signing_seconds", "Time to sign one MsgHead", ["kind"],
                                 buckets=_SIGNING_BUCKETS, registry=registry)
        self.requests = Histogram("nordgate_http_request_duration_seconds", "HTTP request latency by route template",
                                  ["method", "route", "status"], buckets=_LATENCY_BUCKETS, registry=registry)
        process_collector.ProcessCollector(registry=registry)
        platform_collector.PlatformCollector(registry=registry)
        gc_collector.GCCollector(registry=registry)

    def watch(self, collector: Collector) -> None:
        """Add a collector that reads its values at scrape time (outbox depth, register cache)."""
        self.registry.register(collector)

    @contextmanager
    def push(self) -> Iterator[PushObservation]:
        """Count one push: its format (set ``observation.body`` once read, ``observation.format`` once
        parsed; a refused body is sniffed) and how it ended."""
        observation = PushObservation()
        try:
            yield observation
        except NordgateError as error:
            form = self._format(observation)
            if error.http_status < 500:
                self.pushes.labels(form, "refused").inc()
                self.mapping_errors.labels(error.code).inc()
            else:
                self.pushes.labels(form, "failed").inc()
            raise
        except BaseException:
            self.pushes.labels(self._format(observation), "failed").inc()
            raise
        self.pushes.labels(self._format(observation), "replayed" if observation.replayed else "stored").inc()

    def _format(self, observation: PushObservation) -> str:
        return observation.format or self._sniff(observation.body)

    def delivered(self, outcome: str) -> None:
        self.deliveries.labels(outcome).inc()

    @contextmanager
    def signing_time(self, kind: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.signing.labels(kind).observe(time.perf_counter() - started)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
