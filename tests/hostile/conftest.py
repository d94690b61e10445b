"""Hostile inputs run against the real app through the shared ``client`` fixture of
``tests/gateway/api/conftest.py`` (so they authenticate however that fixture does), with the settlement side
configured as in production: the stand-in address register in-process, the committed enterprise
test certificate, a directory drop. The settings come from the environment, so whatever the shared
``settings`` fixture sets itself is kept."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.gateway.api.conftest import client, settings
from tests.gateway.settlement.service.helpers import AR_DATA, CA_PEM, ENTERPRISE_P12, PASSWORD_FILE

__all__ = ["CORPUS", "client", "fuzz_examples", "manifest", "settings"]

CORPUS = Path(__file__).resolve().parent / "corpus"
#: NORDGATE_FUZZ_EXAMPLES multiplies every target's example count for a deeper local run.
FUZZ_ENV = "NORDGATE_FUZZ_EXAMPLES"


def fuzz_examples(default: int) -> int:
    """``default`` in CI; ``NORDGATE_FUZZ_EXAMPLES=N`` runs N times as many."""
    factor = int(os.environ.get(FUZZ_ENV, "1") or "1")
    return default * max(factor, 1)


def manifest() -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = json.loads((CORPUS / "manifest.json").read_text(encoding="utf-8"))["cases"]
    return cases


@pytest.fixture(autouse=True)
def _settlement_side(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("NORDGATE_AR_DATA_DIR", str(AR_DATA))
    monkeypatch.setenv("NORDGATE_SIGNING_TRUST_ANCHORS", str(CA_PEM))
    monkeypatch.setenv("NORDGATE_ENTERPRISE_P12", str(ENTERPRISE_P12))
    monkeypatch.setenv("NORDGATE_ENTERPRISE_PASSWORD_FILE", str(PASSWORD_FILE))
    monkeypatch.setenv("NORDGATE_DROP_DIR", str(tmp_path / "drop"))
    yield
