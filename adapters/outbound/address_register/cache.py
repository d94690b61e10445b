"""A TTL cache in front of any :class:`~gateway.ports.outbound.AddressRegister`.

- Positive answers (party details, certificates) live ``ttl_s`` (default one hour): AR data
  changes rarely and every settlement batch asks for the same few receivers.
- "No such HER-id" (:class:`~gateway.primitives.errors.NotFound` ``AR_NO_SUCH_HER_ID``) lives
  ``negative_ttl_s`` (default 60 s): a batch with ten thousand bills naming one wrong HER-id then
  costs one register call, and a HER-id registered a minute ago still becomes visible soon.
- :class:`~gateway.primitives.errors.RegisterUnavailable` and every other error is never cached: the next
  call must get the chance to find the register healthy again.

A hit is one monotonic clock read plus one dict lookup under a lock. Misses call the inner
register *outside* the lock, so a slow register never blocks hits for other HER-ids; two threads
missing the same key at once both ask the register (harmless, and rarer than the lock it would take
to prevent it). Hit/miss counters are exposed for metrics by :meth:`CachingAddressRegister.stats`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, TypeVar, cast

from gateway.domain.parties import CommunicationParty
from gateway.ports.outbound import AddressRegister
from gateway.primitives.errors import ConfigurationError, NotFound

__all__ = ["CacheStats", "CachingAddressRegister"]

_T = TypeVar("_T")
_NEGATIVE_CODE: Final = "AR_NO_SUCH_HER_ID"
_PARTY: Final = "party"
_ENCRYPTION: Final = "encryption"
_SIGNATURE: Final = "signature"


@dataclass(frozen=True, slots=True)
class CacheStats:
    hits: int
    misses: int
    negative_hits: int
    entries: int


@dataclass(frozen=True, slots=True)
class _Negative:
    """What is kept of a NotFound: enough to raise a fresh one (a shared instance would pile up
    tracebacks from every thread that raised it)."""

    message: str
    her_id: str | None


class CachingAddressRegister:
    """Implements :class:`~gateway.ports.outbound.AddressRegister`; ``ping`` is never cached."""

    def __init__(
        self,
        inner: AddressRegister,
        *,
        ttl_s: float = 3600.0,
        negative_ttl_s: float = 60.0,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if ttl_s < 0 or negative_ttl_s < 0 or max_entries < 1:
            raise ConfigurationError("AR_CACHE_INVALID", "cache TTLs must be >= 0 and max_entries >= 1")
        self._inner = inner
        self._ttl_s = ttl_s
        self._negative_ttl_s = negative_ttl_s
        self._max_entries = max_entries
        self._clock = clock
        self._lock = threading.Lock()
        # key -> (expires_at, value or _Negative)
        self._entries: dict[tuple[str, str], tuple[float, object]] = {}
        self._hits = 0
        self._misses = 0
        self._negative_hits = 0

    # ---------------------------------------------------------------------- the port

    def communication_party(self, her_id: str) -> CommunicationParty:
        return self._get(_PARTY, her_id, self._inner.communication_party)

    def encryption_certificate(self, her_id: str) -> bytes:
        return self._get(_ENCRYPTION, her_id, self._inner.encryption_certificate)

    def signature_certificate(self, her_id: str) -> bytes:
        return self._get(_SIGNATURE, her_id, self._inner.signature_certificate)

    def ping(self) -> bool:
        return self._inner.ping()

    # -------------------------------------------------------------------- management

    def stats(self) -> CacheStats:
        with self._lock:
            return CacheStats(self._hits, self._misses, self._negative_hits, len(self._entries))

    def invalidate(self, her_id: str | None = None) -> None:
        """Forget one HER-id (all its answers), or everything."""
        with self._lock:
            if her_id is None:
                self._entries.clear()
                return
            for key in [key for key in self._entries if key[1] == her_id]:
                del self._entries[key]

    # ------------------------------------------------------------------------- inside

    def _get(self, kind: str, her_id: str, load: Callable[[str], _T]) -> _T:
        key = (kind, her_id)
        now = self._clock()
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry[0] > now:
                value = entry[1]
                if type(value) is not _Negative:
                    self._hits += 1
                    return cast(_T, value)
                self._negative_hits += 1
            else:
                value = None
                self._misses += 1
        if isinstance(value, _Negative):
            raise NotFound(_NEGATIVE_CODE, value.message, her_id=value.her_id)
        try:
            loaded = load(her_id)
        except NotFound as exc:
            if exc.code == _NEGATIVE_CODE and self._negative_ttl_s > 0:
                self._store(key, _Negative(exc.message, exc.her_id), self._negative_ttl_s)
            raise
        if self._ttl_s > 0:
            self._store(key, loaded, self._ttl_s)
        return loaded

    def _store(self, key: tuple[str, str], value: object, ttl_s: float) -> None:
        expires = self._clock() + ttl_s
        with self._lock:
            if key not in self._entries and len(self._entries) >= self._max_entries:
                self._evict()
            self._entries[key] = (expires, value)

    def _evict(self) -> None:
        # Called with the lock held and only when full, so the O(n) sweep is rare.
        now = self._clock()
        for key in [key for key, (expires, _) in self._entries.items() if expires <= now]:
            del self._entries[key]
        if len(self._entries) >= self._max_entries:
            # Dicts keep insertion order: the first key is the oldest entry.
            del self._entries[next(iter(self._entries))]
