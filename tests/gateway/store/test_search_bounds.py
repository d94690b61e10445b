"""Searches bounded in the store (issue 13, point 1): a statement timeout on PostgreSQL, a progress-handler
deadline on SQLite, the query interrupted when its client has gone (``cancel``), SQLite's variable limit
never a 500; and ``_sort`` and instance history on both engines."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from gateway.ports.store import Condition, SearchCancelled, SortKey, Store, StoreSession
from gateway.primitives.database_url import parse_database_url
from gateway.primitives.errors import MalformedInput, TransientError
from gateway.store.postgres import PostgresStore
from gateway.store.sqlite import SQLiteStore

_MANY = 2000  # enough rows that a search runs well past SQLite's progress-handler interval


def _fill(store: Store, count: int = _MANY) -> None:
    def work(session: StoreSession) -> None:
        for n in range(count):
            session.put("Appointment", f"a{n:05}", b"{}", [("status", "booked"), ("identifier.value", f"b{n}"),
                                                          ("date", f"2026-12-{n % 28 + 1:02}T08:00:00Z")])

    [result] = store.write_batch([work])
    assert result is None


_SLOW = [Condition("status", "eq", ("booked",)), Condition("identifier.value", "eq", tuple(f"b{n}" for n in range(50))),
         Condition("date", "ge", ("2026-01-01T00:00:00Z",))]


@pytest.fixture
def sqlite_path(tmp_path: Path) -> Path:
    path = tmp_path / "bounds.db"
    store = SQLiteStore(path)
    _fill(store)
    store.close()
    return path


def test_sqlite_search_past_its_deadline_is_a_503_search_timed_out(sqlite_path: Path) -> None:
    store = SQLiteStore(sqlite_path, search_timeout_s=0.0)
    with pytest.raises(TransientError) as raised:
        store.search("Appointment", _SLOW, count=10, offset=0)
    assert raised.value.code == "SEARCH_TIMED_OUT"
    # The handler is removed afterwards: the connection's next reads are not cut short.
    assert store.read("Appointment", "a00001") is not None
    store.close()


def test_sqlite_search_is_interrupted_when_cancelled(sqlite_path: Path) -> None:
    store = SQLiteStore(sqlite_path)
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(SearchCancelled):
        store.search("Appointment", _SLOW, count=10, offset=0, cancel=cancel)
    assert store.search("Appointment", _SLOW, count=10, offset=0).total == 50
    store.close()


def test_sqlite_search_over_its_parse_limits_is_a_400_not_a_500(tmp_path: Path) -> None:
    # 999 conditions: "Expression tree is too large (maximum depth 1000)", an OperationalError and a
    # 500 before; the API refuses far fewer already (SEARCH_TOO_COMPLEX), this is the store's own guard.
    store = SQLiteStore(tmp_path / "vars.db")
    with pytest.raises(MalformedInput) as raised:
        store.search("Appointment", [Condition("identifier.value", "eq", ("x",))] * 999, count=10, offset=0)
    assert raised.value.code == "SEARCH_TOO_COMPLEX"
    store.close()


@pytest.fixture
def postgres_store(postgres_url: str) -> Iterator[PostgresStore]:
    store = PostgresStore(parse_database_url(postgres_url), pool_size=2, search_timeout_s=0.3)
    _fill(store, 50)
    yield store
    store.close()


def _locked(postgres_url: str) -> psycopg.Connection:
    """A connection holding an exclusive lock on the resource table: every search waits behind it, as
    behind a long query, so the timeout and the cancel are tested without a slow query of chance."""
    holder = psycopg.connect(parse_database_url(postgres_url).conninfo)
    holder.execute("LOCK TABLE resource IN ACCESS EXCLUSIVE MODE")
    return holder


@pytest.mark.postgres
def test_postgres_search_past_its_statement_timeout_is_a_503(postgres_store: PostgresStore, postgres_url: str) -> None:
    holder = _locked(postgres_url)
    try:
        started = time.monotonic()
        with pytest.raises(TransientError) as raised:
            postgres_store.search("Appointment", _SLOW, count=10, offset=0)
        assert raised.value.code == "SEARCH_TIMED_OUT"
        assert time.monotonic() - started < 5
    finally:
        holder.rollback()
        holder.close()
    # SET LOCAL: the pooled connection keeps no timeout for what it serves next.
    with postgres_store._pool.connection() as connection:
        row = connection.execute("SHOW statement_timeout").fetchone()
    assert row is not None and row[0] == "0"


@pytest.mark.postgres
def test_postgres_search_is_cancelled_on_the_server_when_its_client_leaves(postgres_url: str) -> None:
    store = PostgresStore(parse_database_url(postgres_url), pool_size=2, search_timeout_s=30.0)
    _fill(store, 10)
    holder = _locked(postgres_url)
    cancel = threading.Event()
    threading.Timer(0.3, cancel.set).start()
    try:
        started = time.monotonic()
        with pytest.raises(SearchCancelled):
            store.search("Appointment", _SLOW, count=10, offset=0, cancel=cancel)
        assert time.monotonic() - started < 5  # not the 30 s timeout: the server stopped the query
    finally:
        holder.rollback()
        holder.close()
    assert store.search("Appointment", [], count=1, offset=0).total == 10
    store.close()


def _stores(tmp_path: Path, postgres: bool) -> Store:
    if postgres:
        from tests.database import database_url_for, server_url  # noqa: PLC0415 - only on PostgreSQL runs

        if server_url() is None:
            pytest.skip("PostgreSQL tests need NORDGATE_TEST_DATABASE_URL")
        return PostgresStore(parse_database_url(database_url_for(tmp_path)), pool_size=2)
    return SQLiteStore(tmp_path / "sort.db")


@pytest.mark.parametrize("postgres", [False, True], ids=["sqlite", "postgres"])
def test_sort_and_history_on_both_engines(tmp_path: Path, postgres: bool) -> None:
    store = _stores(tmp_path, postgres)

    def write(identifier: str, date: str | None) -> None:
        tokens = [("date", date)] if date else []
        [result] = store.write_batch([lambda session: session.put("Appointment", identifier, b"{}", tokens)])
        assert not isinstance(result, BaseException)

    write("x", "2026-12-03T08:00:00Z")
    write("y", "2026-12-01T08:00:00Z")
    write("z", None)
    write("x", "2026-12-02T08:00:00Z")  # version 2, updated last

    def order(*sort: SortKey) -> list[str]:
        return [item.id for item in store.search("Appointment", [], count=10, offset=0, sort=sort).items]

    assert order(SortKey("date")) == ["y", "x", "z"]  # no date: last either way
    assert order(SortKey("date", descending=True)) == ["x", "y", "z"]
    assert order(SortKey("_lastUpdated", descending=True))[0] == "x"
    assert [stored.version_id for stored in store.history("Appointment", "x")] == [2, 1]
    assert store.history("Appointment", "nope") == []
    store.close()
