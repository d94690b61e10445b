"""All settings of a running gateway, in one pydantic-settings object validated at start-up.

Environment variables are ``NORDGATE_<NAME>`` (e.g. ``NORDGATE_DATABASE_URL``). Nothing is read at
import time: :func:`load_settings` is called by the CLI/app factory.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from gateway.errors import ConfigurationError

__all__ = ["Settings", "load_settings"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NORDGATE_", extra="forbid")

    database_url: str = Field(
        default="sqlite:///nordgate.db",
        description="sqlite:///relative/path.db, sqlite:////absolute/path.db or sqlite:///:memory:",
    )
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    public_base_url: str | None = Field(default=None, description="FHIR base URL as clients see it")
    max_body_bytes: int = Field(default=5 * 1024 * 1024, ge=1024)
    max_xml_depth: int = Field(default=64, ge=8, le=250)
    mappings_dir: Path | None = Field(default=None, description="folder of ConceptMaps; default: the shipped one")
    reference_dir: Path | None = Field(default=None, description="shared/reference folder of official schemas")
    fhir_version: Literal["4.0", "5.0"] = "4.0"
    local_timezone: str = "Europe/Stockholm"
    group_commit_max: int = Field(default=256, ge=1, le=10_000)
    default_source: str = Field(default="pas", description="sending system when a push names none")

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, value: str) -> str:
        if not value.startswith("sqlite:///"):
            raise ValueError("only sqlite:///… URLs are supported by this build")
        return value

    @property
    def sqlite_path(self) -> str:
        return self.database_url.removeprefix("sqlite:///")

    @property
    def base_url(self) -> str:
        return (self.public_base_url or f"http://{self.host}:{self.port}/fhir").rstrip("/")


def load_settings(**overrides: object) -> Settings:
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        name = ".".join(str(part) for part in first["loc"]) or "settings"
        raise ConfigurationError("SETTINGS_INVALID", f"setting {name} (NORDGATE_{name.upper()}): {first['msg']}",
                                 location=name) from None
