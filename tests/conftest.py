"""Suite-wide options and locations.

``--update-golden`` (or NORDGATE_UPDATE_GOLDEN=1) rewrites expected golden files instead of
comparing; the diff is printed first so nothing changes unseen.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "samples"
REFERENCE = REPO.parent / "shared" / "reference"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", default=False,
                     help="rewrite samples/**/*.expected.json from the current mapping")


@pytest.fixture(scope="session")
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden")) or os.environ.get("NORDGATE_UPDATE_GOLDEN") == "1"


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    if not REFERENCE.is_dir():
        pytest.skip(f"official reference schemas not found at {REFERENCE} (shared/ is beside the repo in CI)")
    return REFERENCE
