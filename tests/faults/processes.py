"""Real processes for the fault tests: ``nordgate serve`` and ``nordgate ar-stub`` on 127.0.0.1.

Every process is started with a log file in the test's folder (shown when it does not come up),
bounded waits, and is killed by whoever started it in a ``finally``. Authentication: once
``tests/auth_helpers.py`` exists, the gateway knows the suite's default API-key client and
:data:`AUTH` holds its headers; without it both are empty and the gateway runs open.
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import httpx

from gateway.primitives.database_url import parse_database_url
from tests.gateway.settlement.service.helpers import AR_DATA, CA_PEM, ENTERPRISE_P12, PASSWORD_FILE

__all__ = ["AUTH", "AUTH_ENV", "ArStub", "Gateway", "free_port", "settlement_env", "stored_msg_ids", "wait_for"]

T = TypeVar("T")

try:  # the parallel work on authentication: use it once it is there
    from tests.auth_helpers import DEFAULT_CLIENT, api_key_env

    AUTH: dict[str, str] = dict(DEFAULT_CLIENT.headers)
    AUTH_ENV: dict[str, str] = api_key_env()
except ImportError:  # pragma: no cover - before authentication exists
    AUTH = {}
    AUTH_ENV = {}

_CLI = [sys.executable, "-c", "from gateway.cli import main; main()"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(condition: Callable[[], T], timeout_s: float, what: str, *, every_s: float = 0.05) -> T:
    deadline = time.monotonic() + timeout_s
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")
        time.sleep(every_s)


def settlement_env(tmp_path: Path, database_url: str, **extra: str) -> dict[str, str]:
    """A gateway that signs with the example enterprise certificate and delivers fast: short poll,
    short lease (a killed process's claims are taken over within a second), small backoff."""
    return {
        "NORDGATE_DATABASE_URL": database_url, "NORDGATE_AR_DATA_DIR": str(AR_DATA),
        "NORDGATE_SIGNING_TRUST_ANCHORS": str(CA_PEM), "NORDGATE_ENTERPRISE_P12": str(ENTERPRISE_P12),
        "NORDGATE_ENTERPRISE_PASSWORD_FILE": str(PASSWORD_FILE), "NORDGATE_DROP_DIR": str(tmp_path / "drop"),
        "NORDGATE_OUTBOX_POLL_S": "0.05", "NORDGATE_OUTBOX_LEASE_S": "1", "NORDGATE_OUTBOX_BACKOFF_BASE_S": "0.2",
        "NORDGATE_OUTBOX_BACKOFF_MAX_S": "0.5", "NORDGATE_OUTBOX_MAX_ATTEMPTS": "1000", **extra,
    }


class _Process:
    """A CLI subprocess listening on a free loopback port; ``ready`` says when it answers."""

    name = "process"

    def __init__(self, tmp_path: Path, args: list[str], env: Mapping[str, str], *, start_timeout_s: float = 30.0,
                 port_option: bool = False) -> None:
        self.process: subprocess.Popen[bytes] | None = None
        for _attempt in range(3):  # the port may be taken between probing and binding
            self.port = free_port()
            self.base = f"http://127.0.0.1:{self.port}"
            self.log_path = tmp_path / f"{self.name}-{self.port}.log"
            command = [*_CLI, *args, *(["--port", str(self.port)] if port_option else [])]
            full_env = {**os.environ, **env, "NORDGATE_HOST": "127.0.0.1", "NORDGATE_PORT": str(self.port)}
            with self.log_path.open("wb") as log:
                self.process = subprocess.Popen(command, env=full_env, cwd=tmp_path, stdout=log,
                                                stderr=subprocess.STDOUT)
            try:
                wait_for(self._up, start_timeout_s, f"{self.name} to start")
                return
            except _Exited:
                if "address already in use" not in self.log().lower():
                    raise AssertionError(f"{self.name} exited at start:\n{self.log()[-3000:]}") from None
            except AssertionError:
                self.kill()
                raise AssertionError(f"{self.name} did not start:\n{self.log()[-3000:]}") from None
        raise AssertionError(f"{self.name}: no free port after 3 attempts")

    def ready(self) -> bool:
        raise NotImplementedError

    def _up(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise _Exited
        return self.ready()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL: no shutdown at all. Safe to call twice."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        if self.process is not None:
            self.process.wait(timeout=10)

    def stop(self) -> None:
        """SIGTERM (a graceful shutdown), then SIGKILL after 15 s."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


class _Exited(Exception):
    pass


class Gateway(_Process):
    """``nordgate serve`` with ``env`` (plus the test API key once authentication exists)."""

    name = "gateway"

    def __init__(self, tmp_path: Path, env: Mapping[str, str], **kwargs: Any) -> None:
        super().__init__(tmp_path, ["serve"], {**AUTH_ENV, **env}, **kwargs)

    def ready(self) -> bool:
        try:
            return httpx.get(f"{self.base}/healthz", timeout=1.0).status_code == 200
        except httpx.HTTPError:
            return False

    def register_account(self, account: Mapping[str, Any]) -> None:
        """Register a settlement batch's inline account (``POST /accounts``), as a sender must before
        submitting; done once per database (409: already there). A gateway without accounts skips it."""
        fields = {name: account[name] for name in ("accountingType", "organisationNumber", "accountNumber",
                                                    "senderHerId", "messageType") if name in account}
        response = httpx.post(f"{self.base}/accounts", json=fields, headers=AUTH, timeout=10.0)
        if response.status_code == 404 and "ROUTE_NOT_FOUND" in response.text:
            return
        assert response.status_code in (201, 409), response.text

    def client(self, timeout_s: float = 30.0) -> httpx.Client:
        """A client of this gateway (one connection, authenticated when authentication exists)."""
        return httpx.Client(base_url=self.base, headers=AUTH, timeout=timeout_s,
                            limits=httpx.Limits(max_connections=1))


class ArStub(_Process):
    """``nordgate ar-stub --data samples/address-register`` with its ``/_control`` switch."""

    name = "ar-stub"

    def __init__(self, tmp_path: Path, data: Path = AR_DATA, **kwargs: Any) -> None:
        super().__init__(tmp_path, ["ar-stub", "--data", str(data)], {}, port_option=True, **kwargs)

    @property
    def endpoint(self) -> str:
        return f"{self.base}/v1/AR"

    def ready(self) -> bool:
        try:
            return httpx.get(f"{self.base}/_health", timeout=1.0).status_code == 200
        except httpx.HTTPError:
            return False

    def set_mode(self, mode: str, *, delay_s: float = 0.0, count: int | None = None) -> dict[str, Any]:
        response = httpx.post(f"{self.base}/_control", json={"mode": mode, "delay_s": delay_s, "count": count},
                              timeout=5.0)
        response.raise_for_status()
        state: dict[str, Any] = response.json()
        return state

    def state(self) -> dict[str, Any]:
        state: dict[str, Any] = httpx.get(f"{self.base}/_control", timeout=5.0).json()
        return state


def stored_msg_ids(database_url: str) -> dict[str, str]:
    """Every stored settlement that has a signed message, read from the database itself (there is no
    listing endpoint): msg id → settlement id."""
    url = parse_database_url(database_url)
    query = "SELECT msg_id, id FROM settlement WHERE message IS NOT NULL"
    if url.engine == "sqlite":
        connection = sqlite3.connect(url.sqlite_path, timeout=30.0)
        try:
            return {str(row[0]): str(row[1]) for row in connection.execute(query)}
        finally:
            connection.close()
    import psycopg  # noqa: PLC0415 - only on PostgreSQL runs

    with psycopg.connect(url.conninfo) as pg:
        return {str(row[0]): str(row[1]) for row in pg.execute(query)}


def settlement_rows(database_url: str) -> int:
    """How many settlements are stored (in any state)."""
    url = parse_database_url(database_url)
    query = "SELECT count(*) FROM settlement"
    if url.engine == "sqlite":
        connection = sqlite3.connect(url.sqlite_path, timeout=30.0)
        try:
            return int(connection.execute(query).fetchone()[0])
        finally:
            connection.close()
    import psycopg  # noqa: PLC0415

    with psycopg.connect(url.conninfo) as pg:
        row = pg.execute(query).fetchone()
        return int(row[0]) if row else 0
