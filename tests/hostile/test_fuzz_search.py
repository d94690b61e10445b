"""Fuzzing the FHIR search API: whatever the parameters (names, repeats, prefixes, dates at the edge of
the calendar, digits of other scripts, huge numbers), the answer is a Bundle or a 4xx OperationOutcome
with a code, never a 5xx. In-process against the parameter reader, and through the real app (SQLite).

Bounded for CI like tests/hostile/test_fuzz.py; ``NORDGATE_FUZZ_EXAMPLES=N`` runs N times as many.
"""

from __future__ import annotations

from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from gateway.api.search import SEARCH_PARAMETERS, parse_search

from .conftest import fuzz_examples
from .strategies import CALENDAR_EDGE, INTERESTING, refused_or_ok

ZONE = ZoneInfo("Europe/Stockholm")
RESOURCE_TYPES = sorted(SEARCH_PARAMETERS)
_NAMES = sorted({name for parameters in SEARCH_PARAMETERS.values() for name in parameters}
                | {"_count", "_offset", "_sort", "_summary", "_format", "_fhirVersion", "_elements", "foo", ""})
_PREFIXES = ("", "eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap", "xx")
_VALUES = st.one_of(
    st.sampled_from(INTERESTING),
    st.tuples(st.sampled_from(_PREFIXES), st.sampled_from(CALENDAR_EDGE)).map("".join),
    st.text(max_size=25),
    st.sampled_from(["urn:oid:1.2.752.129.2.1.3.1|191212121212", "|x", "x|", "Appointment/1", "-date", "date",
                     "_lastUpdated", "count", "true", "json", "xml", ",", "a,b,c", "9" * 40, "-0", "0"]),
)
_QUERIES = st.lists(st.tuples(st.sampled_from(_NAMES) | st.text(max_size=8), _VALUES), max_size=6).flatmap(
    lambda pairs: st.just(pairs) | st.just(pairs + [pairs[0]] * 12 if pairs else pairs))
#: Examples per target in CI.
EXAMPLES = {"parse": 1500, "http": 150}


def _settings(target: str) -> settings:
    return settings(max_examples=fuzz_examples(EXAMPLES[target]), deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                           HealthCheck.data_too_large])


@_settings("parse")
@given(resource_type=st.sampled_from(RESOURCE_TYPES), query=_QUERIES)
def test_search_parameters_are_read_or_refused_with_a_4xx(resource_type: str, query: list[tuple[str, str]]) -> None:
    refused_or_ok(lambda: parse_search(resource_type, query, ZONE))


@_settings("http")
@given(resource_type=st.sampled_from(RESOURCE_TYPES), query=_QUERIES)
def test_searches_through_the_app_never_get_a_5xx(client: TestClient, resource_type: str,
                                                   query: list[tuple[str, str]]) -> None:
    # httpx itself refuses a query over 64 KiB before sending it: such a query never reaches the app.
    assume(len(urlencode(query)) < 60_000)
    response = client.get(f"/fhir/{resource_type}", params=query)
    assert response.status_code < 500, f"{query!r}: {response.text[:300]}"
    body = response.json()
    if response.status_code >= 400:
        assert body["resourceType"] == "OperationOutcome"
        assert body["issue"][0]["details"]["coding"][0]["code"]
    elif response.status_code == 200:
        assert body["resourceType"] == "Bundle"
