"""Suite-wide options and locations.

Databases: the suite runs on SQLite, or on PostgreSQL when NORDGATE_TEST_DATABASE_URL names a
server (tests/database.py); ``database_url`` is a fresh database for one test on that engine.

``--update-golden`` (or NORDGATE_UPDATE_GOLDEN=1) rewrites expected golden files instead of
comparing; the diff is printed first so nothing changes unseen.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.auth_helpers import api_key_env
from tests.database import TEST_DATABASE_ENV, database_url_for, drop_free_schemas, release_schemas, server_url
from tests.reference import NO_REFERENCE, REFERENCE

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "samples"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", default=False,
                     help="rewrite samples/**/*.expected.json from the current mapping")


@pytest.fixture(scope="session")
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden")) or os.environ.get("NORDGATE_UPDATE_GOLDEN") == "1"


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    if not REFERENCE.is_dir():
        pytest.skip(NO_REFERENCE)
    return REFERENCE


def pytest_report_header(config: pytest.Config) -> str:
    server = server_url()
    return f"nordgate database: {'PostgreSQL ' + server.masked if server else 'SQLite'} ({TEST_DATABASE_ENV})"


@pytest.fixture(scope="session", autouse=True)
def _drop_test_schemas() -> Iterator[None]:
    yield
    drop_free_schemas()


@pytest.fixture(autouse=True)
def _release_test_schemas() -> Iterator[None]:
    """PostgreSQL runs: empty the schemas a test used, after its own fixtures have closed their stores."""
    yield
    release_schemas()


@pytest.fixture(autouse=True)
def _default_test_client(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every gateway a test builds (in-process or a ``nordgate serve`` child inheriting the environment)
    knows the all-scopes, all-tenants test client (tests/auth_helpers.py); tests send its headers.
    Settlement batches need no registered account unless a test says so (``accounts_required=True``)."""
    for name, value in api_key_env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("NORDGATE_ACCOUNTS_REQUIRED", "false")


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """A fresh database for this test on the suite's engine, at the current schema."""
    return database_url_for(tmp_path)


@pytest.fixture
def postgres_url(tmp_path: Path) -> str:
    """A fresh PostgreSQL schema for a test of the PostgreSQL stores themselves; skipped on SQLite runs."""
    if server_url() is None:
        pytest.skip(f"PostgreSQL tests need {TEST_DATABASE_ENV}=postgresql://user@host:port/database")
    return database_url_for(tmp_path)
