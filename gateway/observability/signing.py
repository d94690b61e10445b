"""Signing time as a metric: a signer wrapped so that each ``sign`` is observed in a histogram.

A wrapper rather than a line in the signers: the enterprise and smart-card signers stay free of
metrics, and ``nordgate settle`` (no server, no metrics) uses them unwrapped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from lxml import etree

from gateway.domain.parties import CertificateKind
from gateway.observability.metrics import GatewayMetrics
from gateway.ports.outbound import Signer

__all__ = ["TimedSigner", "timed_signers"]


class TimedSigner:
    """Implements :class:`~gateway.ports.outbound.Signer` around another signer."""

    def __init__(self, inner: Signer, metrics: GatewayMetrics) -> None:
        self._inner = inner
        self._metrics = metrics

    @property
    def kind(self) -> CertificateKind:
        return self._inner.kind

    @property
    def certificate_der(self) -> bytes:
        return self._inner.certificate_der

    @property
    def holder_hpr(self) -> str | None:
        return self._inner.holder_hpr

    def check(self, *, at: dt.datetime, expected_kind: CertificateKind, organisation_number: str | None) -> None:
        self._inner.check(at=at, expected_kind=expected_kind, organisation_number=organisation_number)

    def sign(self, msghead: etree._Element) -> etree._Element:
        with self._metrics.signing_time(self._inner.kind.value):
            return self._inner.sign(msghead)

    def close(self) -> None:
        close = getattr(self._inner, "close", None)
        if callable(close):
            close()


def timed_signers(signers: Mapping[CertificateKind, Signer], metrics: GatewayMetrics) -> dict[CertificateKind, Signer]:
    return {kind: TimedSigner(signer, metrics) for kind, signer in signers.items()}
