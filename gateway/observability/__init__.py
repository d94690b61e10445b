"""Operating the gateway: request ids, structured logs, Prometheus metrics, health and readiness.

Nothing here runs at import time: :func:`gateway.observability.logs.configure_logging` is called by
``nordgate serve``, the metrics registry is made per runtime, probes connect on first use.
"""

__all__: list[str] = []
