"""Authenticating in tests: API-key clients known to the test settings, and their headers.

Every app a test builds through ``tests/gateway/api/conftest.py`` knows :data:`DEFAULT_CLIENT`, an
all-scopes, all-tenants (``"*"``) client whose headers the ``client`` fixture sends by default.
A test wanting a narrower caller adds one::

    reader = test_client_spec("reader", scopes={Scope.FHIR_READ}, tenants={"SE2321000016-1000"})
    settings = load_settings(database_url=..., **api_key_settings(reader))
    client.get("/fhir/Appointment", headers=reader.headers)

Keys are derived from the client's id, scopes and tenants, so the same spec gives the same key in
the settings and in the headers, also across processes (:func:`api_key_env` for subprocess servers).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass

from gateway.domain.access import ALL_SCOPES, Scope

__all__ = [
    "ALL_SCOPES",
    "ALL_TENANTS",
    "DEFAULT_CLIENT",
    "Scope",
    "TestClientSpec",
    "api_key_env",
    "api_key_settings",
    "auth_headers",
    "test_client_spec",
]

#: The settings' wildcard tenant: the client may act for every unit/organisation.
ALL_TENANTS = frozenset({"*"})


@dataclass(frozen=True, slots=True)
class TestClientSpec:
    __test__ = False  # not a pytest class

    client_id: str
    scopes: frozenset[str]
    tenants: frozenset[str]

    @property
    def key(self) -> str:
        material = json.dumps([self.client_id, sorted(self.scopes), sorted(self.tenants)])
        return "ngk_test_" + hashlib.sha256(material.encode()).hexdigest()

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}

    def entry(self) -> dict[str, object]:
        """The settings entry (``api_keys`` list item) of this client: only the key's hash."""
        return {"client_id": self.client_id, "key_sha256": hashlib.sha256(self.key.encode()).hexdigest(),
                "scopes": sorted(self.scopes), "tenants": sorted(self.tenants)}


def test_client_spec(client_id: str = "test-all", *, scopes: Iterable[str] = ALL_SCOPES,
                     tenants: Iterable[str] = ALL_TENANTS) -> TestClientSpec:
    return TestClientSpec(client_id, frozenset(str(scope) for scope in scopes), frozenset(tenants))


test_client_spec.__test__ = False  # type: ignore[attr-defined]

DEFAULT_CLIENT = test_client_spec()


def api_key_settings(*clients: TestClientSpec) -> dict[str, object]:
    """Settings overrides (``load_settings(**...)``) knowing :data:`DEFAULT_CLIENT` and ``clients``."""
    entries = {spec.client_id: spec.entry() for spec in (DEFAULT_CLIENT, *clients)}
    return {"api_keys": list(entries.values())}


def api_key_env(*clients: TestClientSpec) -> dict[str, str]:
    """The same as environment variables, for a ``nordgate serve`` subprocess."""
    return {"NORDGATE_API_KEYS": json.dumps(api_key_settings(*clients)["api_keys"])}


def auth_headers(scopes: Iterable[str] = ALL_SCOPES, tenants: Iterable[str] = ALL_TENANTS,
                 client_id: str = "test-all") -> dict[str, str]:
    """Headers of the client with these scopes and tenants; with the defaults, :data:`DEFAULT_CLIENT`.
    Any other client must be in the settings too (``api_key_settings(test_client_spec(...))``)."""
    return test_client_spec(client_id, scopes=scopes, tenants=tenants).headers
