"""Database URLs: both engines accepted, anything else refused, passwords never shown."""

from __future__ import annotations

import pytest

from gateway.config.settings import load_settings
from gateway.primitives.database_url import mask_url, parse_database_url
from gateway.primitives.errors import ConfigurationError


@pytest.mark.parametrize(("url", "engine"), [
    ("sqlite:///nordgate.db", "sqlite"),
    ("sqlite:////var/lib/nordgate/n.db", "sqlite"),
    ("sqlite:///:memory:", "sqlite"),
    ("postgresql://gw@db.example:5432/nordgate", "postgresql"),
    ("postgres://gw:pw@db/nordgate?sslmode=require", "postgresql"),
    ("postgresql+psycopg://gw@db/nordgate", "postgresql"),
])
def test_both_engines_are_accepted(url: str, engine: str) -> None:
    assert parse_database_url(url).engine == engine
    assert load_settings(database_url=url).database.engine == engine


def test_conninfo_is_what_libpq_understands() -> None:
    assert parse_database_url("postgresql+psycopg://gw@db/n").conninfo == "postgresql://gw@db/n"
    assert parse_database_url("postgres://gw@db/n").conninfo == "postgresql://gw@db/n"


@pytest.mark.parametrize("url", ["mysql://root:topsecret@db/x", "postgresql://gw:topsecret@db", "sqlite:///", "x"])
def test_other_urls_are_refused_without_their_password(url: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        load_settings(database_url=url)
    assert caught.value.code == "SETTINGS_INVALID" and "topsecret" not in str(caught.value)


def test_passwords_are_masked_in_the_authority_and_the_query() -> None:
    assert mask_url("postgresql://gw:topsecret@db:5432/n") == "postgresql://gw:***@db:5432/n"
    assert mask_url("postgresql://gw@db/n?password=topsecret&sslmode=require") == \
        "postgresql://gw@db/n?password=***&sslmode=require"
    assert mask_url("sqlite:///nordgate.db") == "sqlite:///nordgate.db"


def test_sqlite_path_is_only_for_sqlite() -> None:
    assert load_settings(database_url="sqlite:///a/b.db").sqlite_path == "a/b.db"
    with pytest.raises(ConfigurationError) as caught:
        _ = load_settings(database_url="postgresql://gw:topsecret@db/n").sqlite_path
    assert "topsecret" not in str(caught.value)
