"""What both PostgreSQL stores share: opening a connection pool, and which errors mean "lost a race".

Connections are in autocommit mode: a read is one statement and needs no ``BEGIN``/``COMMIT``
round trips; writes open their transactions explicitly (``connection.transaction()``), nested ones
being savepoints. Transactions run at READ COMMITTED, PostgreSQL's default: the races that matter
are settled by row locks (``SELECT … FOR UPDATE``), unique keys and ``SKIP LOCKED``, not by
snapshot isolation.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from gateway.primitives.database_url import DatabaseURL
from gateway.primitives.errors import ConfigurationError, TransientError

if TYPE_CHECKING:
    from psycopg import Connection
    from psycopg_pool import ConnectionPool

__all__ = ["RaceLost", "cancelled_when", "contended", "is_lost_race", "open_pool"]


class RaceLost(Exception):  # an internal signal, never shown to a client
    """Another transaction committed the same key (receipt, resource version) first: re-run the unit
    of work, which then sees the winner's result."""


def is_lost_race(exc: BaseException) -> bool:
    """Errors after which running the same unit of work again, in a new transaction, can succeed."""
    from psycopg import errors  # noqa: PLC0415

    return isinstance(exc, RaceLost | errors.UniqueViolation | errors.SerializationFailure | errors.DeadlockDetected)


def contended(exc: BaseException) -> TransientError:
    """What a unit of work that lost its race twice answers: 503, the same push later will work."""
    return TransientError("STORE_CONTENDED", "the same resources were being written concurrently; send the "
                          f"message again ({type(exc).__name__})")


def open_pool(url: DatabaseURL, *, name: str, min_size: int, max_size: int, timeout_s: float = 30.0) -> ConnectionPool:
    """A pool of autocommit connections, opened now: an unreachable server stops start-up here."""
    import psycopg  # noqa: PLC0415
    from psycopg_pool import ConnectionPool, PoolTimeout  # noqa: PLC0415

    # One direct attempt first: the pool would retry quietly until its timeout, and libpq's own
    # reason (no such database, authentication failed) is what an operator needs. It never holds
    # the password.
    try:
        psycopg.connect(url.conninfo, connect_timeout=max(1, int(timeout_s))).close()
    except psycopg.Error as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise ConfigurationError("DATABASE_UNREACHABLE", f"cannot connect to PostgreSQL at {url.masked}: "
                                 f"{reason}") from None
    pool: ConnectionPool = ConnectionPool(url.conninfo, name=name, min_size=min_size, max_size=max(min_size, max_size),
                                          kwargs={"autocommit": True}, timeout=timeout_s, open=False)
    try:
        pool.open(wait=True, timeout=timeout_s)
    except PoolTimeout:
        pool.close()
        raise ConfigurationError("DATABASE_UNREACHABLE", f"cannot connect to PostgreSQL at {url.masked} within "
                                 f"{timeout_s:g} s") from None
    return pool


@contextlib.contextmanager
def cancelled_when(cancel: threading.Event | None, connection: Connection[Any]) -> Iterator[None]:
    """While the block runs, setting ``cancel`` cancels the connection's running statement on the
    server (a cancel request, as psql's Ctrl-C): the client that asked for it has gone."""
    if cancel is None:
        yield
        return
    done = threading.Event()
    # The lock makes "not done yet, so cancel" one step against the block's end: once ``finally``
    # holds it and sets ``done``, no cancel request can reach the connection, which may then go back
    # to the pool and run another client's statement. No join: the daemon watcher wakes within
    # 50 ms, sees ``done`` and ends on its own, and the search does not wait for it.
    lock = threading.Lock()

    def watch() -> None:
        while not done.is_set():
            if cancel.wait(0.05):
                with lock:
                    if not done.is_set():
                        connection.cancel_safe(timeout=2.0)
                return

    threading.Thread(target=watch, name="nordgate-search-cancel", daemon=True).start()
    try:
        yield
    finally:
        with lock:
            done.set()
