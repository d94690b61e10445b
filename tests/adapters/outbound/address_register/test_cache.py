"""The TTL cache: hits, negative caching, what is never cached, counters, threads."""

from __future__ import annotations

import threading

import pytest

from adapters.outbound.address_register import CacheStats, CachingAddressRegister
from adapters.outbound.address_register.stub_server import StubRegister
from gateway.domain.parties import CommunicationParty, PartyType
from gateway.primitives.errors import NotFound, RegisterUnavailable

from .conftest import HELFO, MakeClient, stub_handler


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class FakeRegister:
    """Hand-written AddressRegister fake: answers from a dict, counts calls, can be switched off."""

    def __init__(self) -> None:
        self.parties = {HELFO: CommunicationParty(her_id=HELFO, name="Helfo", type=PartyType.ORGANIZATION, active=True)}
        self.calls: list[tuple[str, str]] = []
        self.down = False

    def _check(self, kind: str, her_id: str) -> None:
        self.calls.append((kind, her_id))
        if self.down:
            raise RegisterUnavailable("AR_UNAVAILABLE", "down", her_id=her_id)
        if her_id not in self.parties:
            raise NotFound("AR_NO_SUCH_HER_ID", f"HER-id {her_id} does not exist", her_id=her_id)

    def communication_party(self, her_id: str) -> CommunicationParty:
        self._check("party", her_id)
        return self.parties[her_id]

    def encryption_certificate(self, her_id: str) -> bytes:
        self._check("encryption", her_id)
        return b"enc-" + her_id.encode()

    def signature_certificate(self, her_id: str) -> bytes:
        self._check("signature", her_id)
        return b"sig-" + her_id.encode()

    def ping(self) -> bool:
        self.calls.append(("ping", ""))
        return not self.down


def test_a_hit_avoids_a_second_request_to_the_register(stub: StubRegister, make_client: MakeClient) -> None:
    client, recorder = make_client(stub_handler(stub))
    cache = CachingAddressRegister(client)
    first = cache.communication_party(HELFO)
    assert cache.communication_party(HELFO) is first
    assert cache.encryption_certificate(HELFO) == cache.encryption_certificate(HELFO)
    assert len(recorder.requests) == 2  # one details, one certificate
    assert cache.stats() == CacheStats(hits=2, misses=2, negative_hits=0, entries=2)


def test_positive_answers_expire_after_their_ttl() -> None:
    inner, clock = FakeRegister(), FakeClock()
    cache = CachingAddressRegister(inner, ttl_s=3600, clock=clock)
    cache.signature_certificate(HELFO)
    clock.now += 3599
    cache.signature_certificate(HELFO)
    clock.now += 2
    cache.signature_certificate(HELFO)
    assert inner.calls == [("signature", HELFO), ("signature", HELFO)]


def test_negative_answers_are_cached_briefly_then_asked_again() -> None:
    inner, clock = FakeRegister(), FakeClock()
    cache = CachingAddressRegister(inner, negative_ttl_s=60, clock=clock)
    for _ in range(3):
        with pytest.raises(NotFound) as caught:
            cache.communication_party("999")
        assert (caught.value.code, caught.value.her_id) == ("AR_NO_SUCH_HER_ID", "999")
    assert len(inner.calls) == 1
    assert cache.stats().negative_hits == 2

    inner.parties["999"] = CommunicationParty(her_id="999", name="New", type=PartyType.PERSON, active=True)
    clock.now += 59.9
    with pytest.raises(NotFound):
        cache.communication_party("999")
    clock.now += 0.2
    assert cache.communication_party("999").name == "New"
    assert len(inner.calls) == 2


def test_negative_hits_raise_fresh_exceptions() -> None:
    cache = CachingAddressRegister(FakeRegister(), clock=FakeClock())
    raised = []
    for _ in range(2):
        with pytest.raises(NotFound) as caught:
            cache.communication_party("999")
        raised.append(caught.value)
    assert raised[0] is not raised[1]


def test_register_unavailable_is_never_cached() -> None:
    inner = FakeRegister()
    cache = CachingAddressRegister(inner, clock=FakeClock())
    inner.down = True
    for _ in range(2):
        with pytest.raises(RegisterUnavailable):
            cache.communication_party(HELFO)
    inner.down = False
    assert cache.communication_party(HELFO).name == "Helfo"
    assert len(inner.calls) == 3
    assert cache.stats() == CacheStats(hits=0, misses=3, negative_hits=0, entries=1)


def test_other_not_found_codes_are_not_cached() -> None:
    class NoCertificate(FakeRegister):
        def encryption_certificate(self, her_id: str) -> bytes:
            self.calls.append(("encryption", her_id))
            raise NotFound("AR_NO_CERTIFICATE", "none", her_id=her_id)

    inner = NoCertificate()
    cache = CachingAddressRegister(inner, clock=FakeClock())
    for _ in range(2):
        with pytest.raises(NotFound):
            cache.encryption_certificate(HELFO)
    assert len(inner.calls) == 2


def test_kinds_are_cached_apart_and_ping_is_never_cached() -> None:
    inner = FakeRegister()
    cache = CachingAddressRegister(inner, clock=FakeClock())
    assert cache.encryption_certificate(HELFO) == b"enc-79768"
    assert cache.signature_certificate(HELFO) == b"sig-79768"
    assert cache.ping() and cache.ping()
    assert [kind for kind, _ in inner.calls] == ["encryption", "signature", "ping", "ping"]


def test_invalidate_and_bounded_size() -> None:
    inner, clock = FakeRegister(), FakeClock()
    for number in range(5):
        inner.parties[str(number + 1)] = CommunicationParty(
            her_id=str(number + 1), name="x", type=PartyType.PERSON, active=True
        )
    cache = CachingAddressRegister(inner, max_entries=3, clock=clock)
    for her_id in ("1", "2", "3", "4"):
        cache.communication_party(her_id)
    assert cache.stats().entries == 3
    calls = len(inner.calls)
    cache.communication_party("1")  # the oldest was evicted
    assert len(inner.calls) == calls + 1
    cache.invalidate("1")
    cache.communication_party("1")
    assert len(inner.calls) == calls + 2
    cache.invalidate()
    assert cache.stats().entries == 0


def test_zero_ttl_disables_caching() -> None:
    inner = FakeRegister()
    cache = CachingAddressRegister(inner, ttl_s=0, negative_ttl_s=0, clock=FakeClock())
    cache.communication_party(HELFO)
    cache.communication_party(HELFO)
    assert len(inner.calls) == 2


def test_many_threads_share_the_cache_safely() -> None:
    inner = FakeRegister()
    cache = CachingAddressRegister(inner)
    cache.communication_party(HELFO)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(2000):
                cache.communication_party(HELFO)
                with pytest.raises(NotFound):
                    cache.communication_party("999")
        except BaseException as exc:  # pragma: no cover - only on failure
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    stats = cache.stats()
    assert stats.hits == 8 * 2000
    assert stats.hits + stats.negative_hits + stats.misses == 1 + 8 * 2000 * 2
    # A few threads may miss "999" at the same moment; never more than one each.
    assert stats.misses <= 1 + 8
