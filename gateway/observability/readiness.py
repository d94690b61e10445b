"""``/readyz``: can this process do its work now? The database answers, and the address register
answers a ``Ping`` when one is configured.

``/healthz`` says only that the process is up (no I/O): a failing liveness probe restarts the
process, which cures nothing when the database is down, so the two are kept apart. A load balancer
takes a process out of rotation on 503 here and back on 200.

The register's answer is kept for ``ar_ttl_s`` (10 s): probes from a load balancer every second,
from several places, must not become a stream of Pings to NHN's register. The database is asked
every time (one ``SELECT 1`` on the probe's own connection).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from gateway.ports.outbound import AddressRegister
from gateway.store.probe import DatabaseProbe

__all__ = ["Check", "Readiness"]

_log = logging.getLogger("nordgate.readiness")


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    ok: bool
    status: str  # "ok", "not configured", or the reason it is not ready
    code: str | None = None  # the stable code of a failure (DATABASE_UNREACHABLE, AR_UNREACHABLE)


class Readiness:
    def __init__(self, probe: DatabaseProbe, register: AddressRegister | None, *, ar_ttl_s: float = 10.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._probe = probe
        self._register = register
        self._ar_ttl_s = ar_ttl_s
        self._clock = clock
        self._lock = threading.Lock()
        self._ar_answer: tuple[float, Check] | None = None

    def checks(self) -> list[Check]:
        return [self._database(), self._address_register()]

    def _database(self) -> Check:
        try:
            self._probe.ping()
        except Exception as exc:  # driver errors differ per engine; the type is enough for an operator
            _log.warning("readiness: database did not answer: %s", type(exc).__name__)
            return Check("database", False, f"the database did not answer ({type(exc).__name__})",
                         "DATABASE_UNREACHABLE")
        return Check("database", True, "ok")

    def _address_register(self) -> Check:
        if self._register is None:
            return Check("address_register", True, "not configured")
        now = self._clock()
        with self._lock:
            if self._ar_answer is not None and self._ar_answer[0] > now:
                return self._ar_answer[1]
        try:
            answered = self._register.ping()
        except Exception as exc:  # a register adapter must not make readiness itself fail
            _log.warning("readiness: address register ping raised %s", type(exc).__name__)
            answered = False
        check = Check("address_register", True, "ok") if answered else \
            Check("address_register", False, "the address register did not answer a Ping", "AR_UNREACHABLE")
        with self._lock:
            self._ar_answer = (now + self._ar_ttl_s, check)
        return check
