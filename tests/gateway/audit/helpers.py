"""Reading the audit trail in tests: flush the buffered rows, then read every row (no tenant limit)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from gateway.bootstrap.runtime import Runtime
from gateway.ports.audit import AuditQuery

__all__ = ["rows", "rows_of"]


def rows(client: TestClient, *, flush: bool = True) -> list[dict[str, Any]]:
    """Every stored row as the export shows it; ``flush=False`` reads only what is on disk already."""
    runtime: Runtime = client.app.state.runtime  # type: ignore[attr-defined]
    assert runtime.audit is not None and runtime.audit_log is not None
    if flush:
        runtime.audit.flush()
    return [row.to_json() for row in runtime.audit_log.export(AuditQuery())]


def rows_of(client: TestClient, action: str, *, flush: bool = True) -> list[dict[str, Any]]:
    return [row for row in rows(client, flush=flush) if row["action"] == action]
