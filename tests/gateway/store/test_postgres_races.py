"""PostgreSQL store under concurrent writers: idempotency and versions are decided by the database.

Each writer has its own store (its own connection pool), as separate gateway processes would. A
barrier holds both units of work until each has looked for the receipt and found none, so the race
really happens on every run; the store must then let exactly one win and make the loser, retried
transparently, answer what the winner answered. Skipped unless NORDGATE_TEST_DATABASE_URL names a
PostgreSQL server.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import orjson
import pytest

from gateway.bootstrap.inbound import booking_ingest
from gateway.bootstrap.stores import open_store
from gateway.fhir.common import FhirVersion
from gateway.fhir.mappings import MappingSet, load_mappings
from gateway.ingest.pipeline import PushResult
from gateway.ports.store import Store, Stored, StoreSession, Token
from gateway.primitives.resources import mappings_dir
from tests.adapters.inbound.crm_scheduling.messages import make_booking, timeslot, update_booking

pytestmark = pytest.mark.postgres


class _HeldSession:
    """A session that waits at ``barrier`` once, right after its first receipt look-up found nothing."""

    def __init__(self, inner: StoreSession, barrier: threading.Barrier, waited: list[bool]) -> None:
        self._inner = inner
        self._barrier = barrier
        self._waited = waited

    def receipt(self, key: str) -> bytes | None:
        found = self._inner.receipt(key)
        if found is None and not self._waited:
            self._waited.append(True)
            self._barrier.wait(timeout=20)
        return found

    def get(self, resource_type: str, id: str) -> Stored | None:
        return self._inner.get(resource_type, id)

    def put(self, resource_type: str, id: str, record: bytes, tokens: Sequence[Token], *,
            previous_version: int | None = None) -> Stored:
        return self._inner.put(resource_type, id, record, tokens, previous_version=previous_version)

    def save_receipt(self, key: str, response: bytes) -> None:
        self._inner.save_receipt(key, response)


@pytest.fixture
def mappings() -> MappingSet:
    return load_mappings(mappings_dir())


@pytest.fixture
def stores(postgres_url: str) -> Iterator[tuple[Store, Store]]:
    first, second = open_store(postgres_url, pool_size=2), open_store(postgres_url, pool_size=2)
    yield first, second
    first.close()
    second.close()


def _race(stores: tuple[Store, Store], units: Callable[[threading.Barrier, int], Callable[[StoreSession], Any]]
          ) -> list[Any]:
    """Run one unit of work per store at the same moment; the results in store order."""
    barrier = threading.Barrier(2)

    def run(index: int) -> Any:
        [result] = stores[index].write_batch([units(barrier, index)])
        if isinstance(result, BaseException):
            raise result
        return result

    with ThreadPoolExecutor(2) as pool:
        return list(pool.map(run, range(2)))


def _push_units(mappings: MappingSet, body: bytes) -> Callable[[threading.Barrier, int], Callable[[StoreSession], Any]]:
    def units(barrier: threading.Barrier, _index: int) -> Callable[[StoreSession], PushResult]:
        ingest = booking_ingest(_no_store(), mappings, base_url="http://x/fhir")
        key = ingest.receipt_key(body, "pas", FhirVersion.R4)
        work = ingest.work(key, ingest.parse(body, "pas"), FhirVersion.R4)
        waited: list[bool] = []
        return lambda session: work(_HeldSession(session, barrier, waited))

    return units


def _no_store() -> Store:
    return None  # type: ignore[return-value] # the unit of work is run by the test, not by the ingest


def _appointment(store: Store) -> Stored:
    page = store.search("Appointment", [], count=10, offset=0)
    assert page.total == 1
    return page.items[0]


def test_the_same_new_booking_pushed_twice_at_once_makes_one_version_and_one_answer(
        stores: tuple[Store, Store], mappings: MappingSet) -> None:
    first, second = _race(stores, _push_units(mappings, make_booking()))
    assert first.body == second.body  # byte for byte: the loser replays the winner's receipt
    assert sorted([first.replayed, second.replayed]) == [False, True]
    stored = _appointment(stores[0])
    assert stored.version_id == 1 and stores[0].read_version("Appointment", stored.id, 2) is None
    assert orjson.loads(first.body)["entry"][0]["response"]["etag"] == 'W/"1"'


def test_the_same_update_pushed_twice_at_once_makes_one_new_version(
        stores: tuple[Store, Store], mappings: MappingSet) -> None:
    ingest = booking_ingest(stores[0], mappings, base_url="http://x/fhir")
    ingest.push(make_booking(), source="pas")
    update = update_booking(timeslot(start="20261202093000", end="20261202100000"))
    first, second = _race(stores, _push_units(mappings, update))
    assert first.body == second.body and sorted([first.replayed, second.replayed]) == [False, True]
    stored = _appointment(stores[0])
    assert stored.version_id == 2 and stores[0].read_version("Appointment", stored.id, 3) is None


def test_two_different_updates_at_once_each_make_a_version_in_turn(
        stores: tuple[Store, Store], mappings: MappingSet) -> None:
    ingest = booking_ingest(stores[0], mappings, base_url="http://x/fhir")
    ingest.push(make_booking(), source="pas")
    bodies = [update_booking(timeslot(start=f"2026120{day}093000", end=f"2026120{day}100000")) for day in (2, 3)]
    units = [_push_units(mappings, body) for body in bodies]
    answers = _race(stores, lambda barrier, index: units[index](barrier, index))
    etags = sorted(orjson.loads(answer.body)["entry"][0]["response"]["etag"] for answer in answers)
    assert etags == ['W/"2"', 'W/"3"']  # the second writer waited for the first and built on its version
    stored = _appointment(stores[0])
    assert stored.version_id == 3 and stores[1].read_version("Appointment", stored.id, 2) is not None


def test_the_same_receipt_saved_by_two_writers_keeps_the_first_and_both_answer_it(
        stores: tuple[Store, Store]) -> None:
    def units(barrier: threading.Barrier, index: int) -> Callable[[StoreSession], bytes]:
        waited: list[bool] = []

        def unit(session: StoreSession) -> bytes:
            held = _HeldSession(session, barrier, waited)
            existing = held.receipt("receipt-race")
            if existing is not None:
                return existing
            mine = f"answer of writer {index}".encode()
            held.save_receipt("receipt-race", mine)
            return mine

        return unit

    first, second = _race(stores, units)
    assert first == second == stores[0].receipt("receipt-race")


def test_a_lost_race_inside_a_group_commit_rolls_back_only_that_unit(
        stores: tuple[Store, Store], mappings: MappingSet) -> None:
    # One batch of the second store holds the raced push and an unrelated one; both must succeed.
    other = make_booking(timeslot("B-2"))
    push_units = _push_units(mappings, make_booking())
    barrier = threading.Barrier(2)
    ingest = booking_ingest(stores[1], mappings, base_url="http://x/fhir")
    plain = ingest.work(ingest.receipt_key(other, "pas", FhirVersion.R4), ingest.parse(other, "pas"), FhirVersion.R4)

    with ThreadPoolExecutor(2) as pool:
        alone = pool.submit(stores[0].write_batch, [push_units(barrier, 0)])
        batch = pool.submit(stores[1].write_batch, [plain, push_units(barrier, 1)])
        [winner], [unrelated, raced] = alone.result(timeout=60), batch.result(timeout=60)
    assert isinstance(winner, PushResult) and isinstance(raced, PushResult) and isinstance(unrelated, PushResult)
    assert winner.body == raced.body
    assert stores[0].search("Appointment", [], count=10, offset=0).total == 2
