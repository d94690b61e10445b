"""What the SQLite and the PostgreSQL resource stores share: the statements both engines run alike,
written once with ``?`` placeholders (:func:`postgres` turns them into psycopg's ``%s``), and the
search query.

The engines differ where concurrency is decided: PostgreSQL reads a resource ``FOR UPDATE``, makes a
new version only where the version it read is still current and takes a receipt saved meanwhile as a
lost race, while SQLite has one writer; and in how a transaction is opened. Those parts stay in
:mod:`gateway.store.sqlite` and :mod:`gateway.store.postgres`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

from gateway.ports.store import Condition, SortKey

__all__ = [
    "COUNT_OF_TYPE",
    "DELETE_TOKENS",
    "INSERT_HISTORY",
    "INSERT_RESOURCE",
    "SELECT_CURRENT",
    "SELECT_HISTORY",
    "SELECT_RECEIPT",
    "SELECT_VERSION",
    "AnyOf",
    "SearchQuery",
    "postgres",
    "postgres_any_of",
    "search_query",
    "sqlite_any_of",
]

SELECT_CURRENT: Final = "SELECT version_id, last_updated, record FROM resource WHERE resource_type=? AND id=?"
SELECT_VERSION: Final = ("SELECT last_updated, record FROM resource_history WHERE resource_type=? AND id=? "
                         "AND version_id=?")
SELECT_HISTORY: Final = ("SELECT version_id, last_updated, record FROM resource_history WHERE resource_type=? "
                         "AND id=? ORDER BY version_id DESC")
INSERT_RESOURCE: Final = "INSERT INTO resource VALUES (?,?,?,?,?)"
INSERT_HISTORY: Final = "INSERT INTO resource_history VALUES (?,?,?,?,?)"
DELETE_TOKENS: Final = "DELETE FROM search_token WHERE resource_type=? AND id=?"
SELECT_RECEIPT: Final = "SELECT response FROM receipt WHERE key=?"
COUNT_OF_TYPE: Final = "SELECT COUNT(*) FROM resource WHERE resource_type=?"

_OPS: Final = {"eq": "=", "ge": ">=", "gt": ">", "le": "<=", "lt": "<"}

#: How an engine asks "the token's value is one of these": the SQL test and its parameters.
AnyOf = Callable[[Sequence[str]], tuple[str, list[object]]]


def postgres(sql: str) -> str:
    """A shared statement with psycopg's placeholders."""
    return sql.replace("?", "%s")


def sqlite_any_of(values: Sequence[str]) -> tuple[str, list[object]]:
    return "t.value IN (" + ",".join("?" * len(values)) + ")", list(values)


def postgres_any_of(values: Sequence[str]) -> tuple[str, list[object]]:
    return "t.value = ANY(?)", [list(values)]


@dataclass(frozen=True, slots=True)
class SearchQuery:
    count: str  # the total of matches
    page: str   # one page: params, then order_params, then LIMIT and OFFSET
    params: list[object]
    order_params: list[object]


def _order_by(sort: Sequence[SortKey]) -> tuple[str, list[object]]:
    """ORDER BY of the sort keys, then id: a date token sorts by its earliest value, a resource
    without one last either way (the token names come from the search table, bound as parameters)."""
    terms: list[str] = []
    params: list[object] = []
    for key in sort:
        direction = "DESC" if key.descending else "ASC"
        if key.name == "_lastUpdated":
            terms.append(f"r.last_updated {direction}")
        else:
            # direction is ASC or DESC, the name a bound parameter
            terms.append(f"(SELECT MIN(s.value) FROM search_token s WHERE s.resource_type = r.resource_type "  # noqa: S608
                         f"AND s.id = r.id AND s.name = ?) {direction} NULLS LAST")
            params.append(key.name)
    return ", ".join([*terms, "r.id"]), params


def search_query(resource_type: str, conditions: Sequence[Condition], any_of: AnyOf,
                 sort: Sequence[SortKey] = ()) -> SearchQuery:
    """Resources of one type whose search tokens meet every condition."""
    where = ["r.resource_type = ?"]
    params: list[object] = [resource_type]
    for condition in conditions:
        # Operators come from the fixed _OPS table; names and values are bound parameters.
        if condition.op == "eq":
            test, values = any_of(condition.values)
        else:
            test, values = f"t.value {_OPS[condition.op]} ?", [condition.values[0]]
        where.append("EXISTS (SELECT 1 FROM search_token t WHERE t.resource_type = r.resource_type "  # noqa: S608
                     f"AND t.id = r.id AND t.name = ? AND {test})")
        params += [condition.name, *values]
    clause = " AND ".join(where)
    order, order_params = _order_by(sort)
    return SearchQuery(f"SELECT COUNT(*) FROM resource r WHERE {clause}",  # noqa: S608 - fixed text and ? only
                       f"SELECT r.id, r.version_id, r.last_updated, r.record FROM resource r WHERE {clause} "  # noqa: S608
                       f"ORDER BY {order} LIMIT ? OFFSET ?", params, order_params)
