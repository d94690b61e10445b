"""All settings of a running gateway, in one pydantic-settings object validated at start-up.

Environment variables are ``NORDGATE_<NAME>`` (e.g. ``NORDGATE_DATABASE_URL``). Nothing is read at
import time: :func:`load_settings` is called by the CLI/app factory.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from gateway.config.security import ApiKeyClient, JwtIssuer, validate_jwt_clients
from gateway.primitives.database_url import DatabaseURL, parse_database_url
from gateway.primitives.errors import ConfigurationError

__all__ = ["Settings", "load_settings"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NORDGATE_", extra="forbid")

    database_url: str = Field(
        default="sqlite:///nordgate.db",
        description="sqlite:///relative/path.db, sqlite:////absolute/path.db, sqlite:///:memory: or "
                    "postgresql://user[:password]@host[:port]/database[?options=…] (shared by several processes)",
    )
    database_pool_size: int = Field(default=8, ge=1, le=200, description="PostgreSQL: connections per process")
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    public_base_url: str | None = Field(default=None, description="FHIR base URL as clients see it")
    max_body_bytes: int = Field(default=5 * 1024 * 1024, ge=1024)
    max_xml_depth: int = Field(default=64, ge=8, le=250)
    body_read_timeout_s: float = Field(default=30.0, gt=0, le=600, description="a request body must arrive whole "
                                       "within this many seconds of its first read, else 408 (api/body_guard.py)")
    max_header_bytes: int = Field(default=64 * 1024, ge=8 * 1024, le=1024 * 1024, description="request line and "
                                  "headers together; over it: 431 (nordgate serve, uvicorn's h11 limit)")
    mappings_dir: Path | None = Field(default=None, description="folder of ConceptMaps; default: the shipped one")
    reference_dir: Path | None = Field(default=None, description="shared/reference folder of official schemas")
    rivta_contract_dir: Path | None = Field(
        default=None, description="folder of Inera's crm:scheduling 1.1 service contract (TD_SCHEDULING_1_1_0_R: "
        "core_components/, interactions/) that /rivta/…?wsdl serves; unset: ?wsdl answers 404 (docs/rivta.md)")
    fhir_version: Literal["4.0", "5.0"] = "4.0"
    local_timezone: str = "Europe/Stockholm"
    group_commit_max: int = Field(default=256, ge=1, le=10_000)
    default_source: str = Field(default="pas", description="sending system when a push names none")
    log_format: Literal["json", "text"] = Field(default="json", description="stderr log lines: one JSON object "
                                                "each, or plain text (gateway/observability/logs.py)")
    log_level: Literal["debug", "info", "warning", "error", "critical"] = "info"

    # --- settlement (HELFO) side: see gateway/bootstrap/settlement.py for how these become objects
    max_settlement_bytes: int = Field(default=64 * 1024 * 1024, ge=1024, description="POST /settlements body limit")
    processing_status: Literal["P", "D", "T"] = Field(default="P", description="MsgInfo/ProcessingStatus")
    ar_endpoint: str | None = Field(default=None, description="NHN address register SOAP URL")
    ar_data_dir: Path | None = Field(default=None, description="stand-in AR JSON folder, used in-process")
    ar_username: str | None = None
    ar_password_file: Path | None = Field(default=None, description="file holding the AR password")
    ar_timeout_s: float = Field(default=10.0, gt=0, le=120)
    ar_cache_ttl_s: float = Field(default=3600.0, ge=0)
    signing_trust_anchors: Path | None = Field(default=None, description="PEM file of trusted signing CAs")
    enterprise_p12: Path | None = Field(default=None, description="PKCS#12 of the enterprise certificate")
    enterprise_password_env: str | None = Field(default=None, description="NAME of the env var with its password")
    enterprise_password_file: Path | None = Field(default=None, description="file holding its password")
    card_pkcs11_module: Path | None = Field(default=None, description="PKCS#11 module of the smart card")
    card_token_label: str | None = None
    card_key_label: str | None = None
    card_pin_env: str | None = Field(default=None, description="NAME of the env var with the card PIN")
    card_pin_file: Path | None = Field(default=None, description="file holding the card PIN")
    card_holders: Path | None = Field(default=None, description="JSON record of whose card is whose: certificate "
                                      "serialNumber → HPR number (required with a card)")
    transport: Literal["directory", "http"] = Field(default="directory", description="delivery transport")
    drop_dir: Path = Field(default=Path("outbox-drop"), description="directory transport: <her-id>/<msg-id>.xml")
    transport_url: str | None = Field(default=None, description="http transport: URL messages are POSTed to")
    transport_timeout_s: float = Field(default=30.0, gt=0, le=600)
    outbox_worker: bool = Field(default=True, description="run the delivery worker in this process")
    outbox_poll_s: float = Field(default=1.0, gt=0, le=60)
    outbox_lease_s: float = Field(default=120.0, gt=0, description="a claim expires after this (crash safety)")
    outbox_max_attempts: int = Field(default=10, ge=1, le=1000)
    outbox_backoff_base_s: float = Field(default=2.0, gt=0)
    outbox_backoff_max_s: float = Field(default=900.0, gt=0)
    # Encryption as NHN traffic has it (adapters/outbound/encryption.py; README "Encryption"). Off by default.
    encrypt_delivery: bool = Field(default=False, description="encrypt each delivered message for the receiver's "
                                   "encryption certificate from the AR (CMS, AES-256-CBC, RSA PKCS#1 v1.5)")
    decryption_p12: Path | None = Field(default=None, description="PKCS#12 of this gateway's own encryption "
                                        "certificate and key: opens encrypted AppRecs")
    decryption_password_env: str | None = Field(default=None, description="NAME of the env var with its password")
    decryption_password_file: Path | None = Field(default=None, description="file holding its password")
    apprec_require_signature: bool = Field(default=False, description="take only AppRecs signed as CMS signed data "
                                           "(checked against signing_trust_anchors and the sender's organisation "
                                           "in the AR); otherwise a plain AppRec is 422 APPREC_SIGNATURE_MISSING")

    # --- security: clients, tokens, tenants (gateway/auth; README "Security: clients, tokens, tenants")
    api_keys: list[ApiKeyClient] = Field(default_factory=list, description="API-key clients (hashes only), JSON")
    jwt_issuers: list[JwtIssuer] = Field(default_factory=list, description="trusted JWT issuers, JSON")
    jwt_clients: dict[str, list[str]] = Field(default_factory=dict, description="JWT client id -> tenants, JSON")
    audit_head_file: Path | None = Field(default=None, description="file the audit chain's head is appended to "
                                         "(JSON lines); nordgate audit verify checks it (audit/head_journal.py)")
    audit_head_publish_s: float = Field(default=60.0, gt=0, le=3600, description="how often the head is published")
    audit_auth_refusals_per_minute: int = Field(default=60, ge=0, le=100_000, description="refused authentications "
                                                "written to the audit trail per minute and process; the rest are "
                                                "counted in one row (gateway/audit/refusals.py)")
    docs_public: bool = Field(default=False, description="/docs, its assets and /openapi.json answer without a "
                              "token (a browser sends none); off: bearer-only like every route (api/docs_page.py)")
    auth_disabled: bool = Field(default=False, description="development only, loopback only: no authentication")
    accounts_required: bool = Field(default=True, description="a settlement must name a registered account")

    @field_validator("jwt_clients")
    @classmethod
    def _jwt_clients(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        return validate_jwt_clients(value)

    @field_validator("log_format", "log_level", mode="before")
    @classmethod
    def _lower_case(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value  # INFO and info alike

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, value: str) -> str:
        parse_database_url(value)  # ValueError names the accepted forms, never the URL's password
        return value

    @property
    def database(self) -> DatabaseURL:
        return parse_database_url(self.database_url)

    @property
    def sqlite_path(self) -> str:
        """The SQLite file (or ``:memory:``); only for an ``sqlite:///`` database."""
        database = self.database
        if database.engine != "sqlite":
            raise ConfigurationError("SETTINGS_INVALID", f"{database.masked} is not an SQLite database",
                                     location="database_url")
        return database.sqlite_path

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
