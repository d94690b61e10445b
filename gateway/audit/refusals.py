"""Refused authentication in the audit trail, at a bounded rate.

A request without a valid credential has no principal, so its row names the client ``anonymous``
(as ``docs/operators.md`` lists) with action ``auth.refused``, status 401 (or the refusal's own),
and in ``detail`` the refusal's code, the method, the route template (never the raw path, which may
carry an identity number) and the peer address.

**Rate limit.** Anybody can send refusals as fast as the network carries them; a row each would let
a flood fill the audit table and bury the rows that matter. :class:`RefusalSampler` keeps a fixed
window per process: at most ``per_minute`` rows (``NORDGATE_AUDIT_AUTH_REFUSALS_PER_MINUTE``, default
60) in a minute; refusals over it are counted, not written, and the first refusal of a later minute
first writes one ``auth.refused`` row with ``{"suppressed": n, "window_s": 60}``. A flood of any rate
therefore adds at most ``per_minute + 1`` rows a minute per process (86,400 a day at the default),
and the trail still says how many were left out. The sampler costs a lock and two integers.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from gateway.domain.audit import ANONYMOUS, Actor, AuditEntry, make_entry

__all__ = ["AUTH_REFUSED", "RefusalSampler", "refusal_entry"]

AUTH_REFUSED = "auth.refused"
WINDOW_S = 60.0


def refusal_entry(actor: Actor, status: int, **detail: object) -> AuditEntry:
    anonymous = Actor(ANONYMOUS.client_id, (), actor.request_id)
    return make_entry(anonymous, AUTH_REFUSED, status, detail=detail)


class RefusalSampler:
    """At most ``per_minute`` refusal rows a window; a count of the rest at the next window."""

    def __init__(self, per_minute: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self.window_s = WINDOW_S
        self._clock = clock
        self._lock = threading.Lock()
        self._window = -1
        self._written = 0
        self._suppressed = 0

    def admit(self) -> tuple[bool, int]:
        """(write this refusal's row?, refusals suppressed in the window just ended: write that count first)."""
        window = int(self._clock() // WINDOW_S)
        with self._lock:
            carried = 0
            if window != self._window:
                carried, self._window, self._written, self._suppressed = self._suppressed, window, 0, 0
            if self._written < self.per_minute:
                self._written += 1
                return True, carried
            self._suppressed += 1
            return False, carried
