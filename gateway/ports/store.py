"""The store port: versioned resources, search tokens, and message receipts.

A unit of work (``write_batch``) runs each piece of work against a :class:`StoreSession` inside one
transaction; each piece either commits with the batch or is rolled back alone (a savepoint), and
the batch is durable on disk before ``write_batch`` returns: an acknowledged push is never lost.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

__all__ = ["Condition", "SearchCancelled", "SearchPage", "SortKey", "Store", "StoreSession", "Stored", "Token"]

T = TypeVar("T")
Token = tuple[str, str]  # (search parameter name, normalised value)


@dataclass(frozen=True, slots=True)
class Stored:
    resource_type: str
    id: str
    version_id: int
    last_updated: str
    record: bytes


@dataclass(frozen=True, slots=True)
class Condition:
    """One search condition: ``name`` compared with ``op`` (eq, ge, gt, le, lt) to ``values``.

    Several values mean "any of them" (only with ``eq``); several conditions all have to hold.
    """

    name: str
    op: str
    values: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SortKey:
    """Order of a search: a date token's name (its earliest value) or ``_lastUpdated``; ties by id."""

    name: str
    descending: bool = False


class SearchCancelled(Exception):
    """The search's ``cancel`` event was set (its client hung up): the query was interrupted."""


@dataclass(frozen=True, slots=True)
class SearchPage:
    items: list[Stored]
    total: int


class StoreSession(Protocol):
    def get(self, resource_type: str, id: str) -> Stored | None: ...

    def put(self, resource_type: str, id: str, record: bytes, tokens: Sequence[Token], *,
            previous_version: int | None = None) -> Stored:
        """Store a new version (1 when new) with the store's clock as lastUpdated.

        ``previous_version`` is the version the caller read in this transaction (0: none), which
        spares the store reading it again."""
        ...

    def receipt(self, key: str) -> bytes | None: ...

    def save_receipt(self, key: str, response: bytes) -> None: ...


class Store(Protocol):
    def write_batch(self, works: Sequence[Callable[[StoreSession], T]]) -> list[T | BaseException]: ...

    def read(self, resource_type: str, id: str) -> Stored | None: ...

    def read_version(self, resource_type: str, id: str, version_id: int) -> Stored | None: ...

    def search(self, resource_type: str, conditions: Sequence[Condition], *, count: int, offset: int,
               sort: Sequence[SortKey] = (), cancel: threading.Event | None = None) -> SearchPage:
        """Bounded by the store's statement timeout (``TransientError`` SEARCH_TIMED_OUT past it);
        setting ``cancel`` interrupts the query (:class:`SearchCancelled`)."""
        ...

    def history(self, resource_type: str, id: str) -> list[Stored]:
        """Every stored version of one resource, the newest first (empty when there is none)."""
        ...

    def receipt(self, key: str) -> bytes | None: ...

    def count(self, resource_type: str) -> int: ...

    def close(self) -> None: ...
