"""Database URLs: which engine, where, and how to show one without its password.

``sqlite:///relative.db``, ``sqlite:////absolute.db`` and ``sqlite:///:memory:`` open the embedded
store; ``postgresql://user:password@host:port/db?options=…`` (or ``postgres://``, or SQLAlchemy's
``postgresql+psycopg://``) opens PostgreSQL through psycopg 3, which takes the URL as libpq does.
A URL is never printed whole: :func:`mask_url` hides the password in every log line and error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

__all__ = ["DatabaseURL", "Engine", "mask_url", "parse_database_url"]

Engine = Literal["sqlite", "postgresql"]

_SQLITE = "sqlite:///"
_POSTGRES_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg")
# A password may also be passed as a query parameter (?password=…): masked as well.
_PASSWORD_PARAM = re.compile(r"(?i)(password=)[^&]*")


@dataclass(frozen=True, slots=True)
class DatabaseURL:
    engine: Engine
    url: str  # as given (secret inside: never log it)

    @property
    def sqlite_path(self) -> str:
        if self.engine != "sqlite":
            raise ValueError("not an SQLite URL")
        return self.url.removeprefix(_SQLITE)

    @property
    def conninfo(self) -> str:
        """What psycopg connects with: libpq does not know SQLAlchemy's ``+psycopg`` suffix."""
        if self.engine != "postgresql":
            raise ValueError("not a PostgreSQL URL")
        scheme, rest = self.url.split("://", 1)
        return f"postgresql://{rest}" if scheme != "postgresql" else self.url

    @property
    def masked(self) -> str:
        return mask_url(self.url)


def parse_database_url(url: str) -> DatabaseURL:
    """The engine of ``url``; ValueError (without the URL's secret) when it is neither engine's."""
    if url.startswith(_SQLITE):
        if not url.removeprefix(_SQLITE):
            raise ValueError("sqlite:/// needs a file path (or :memory:)")
        return DatabaseURL("sqlite", url)
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme in _POSTGRES_SCHEMES:
        parts = urlsplit(url)
        if not parts.path.strip("/") and "dbname=" not in parts.query:
            raise ValueError(f"{mask_url(url)} names no database")
        return DatabaseURL("postgresql", url)
    raise ValueError("use sqlite:///path.db or postgresql://user@host:port/database")


def mask_url(url: str) -> str:
    """``url`` with its password (in the authority or in the query) replaced by ``***``."""
    if "://" not in url or url.startswith(_SQLITE):
        return url  # an SQLite URL holds a path, never a secret (and urlunsplit would mangle ///)
    try:
        parts = urlsplit(url)
    except ValueError:
        return url.split("://", 1)[0] + "://***"
    netloc = parts.netloc
    if "@" in netloc:
        credentials, host = netloc.rsplit("@", 1)
        if ":" in credentials:
            credentials = credentials.split(":", 1)[0] + ":***"
        netloc = f"{credentials}@{host}"
    query = _PASSWORD_PARAM.sub(r"\1***", parts.query)
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
