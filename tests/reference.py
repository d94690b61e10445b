"""Where the tests find the official schemas and public test messages that are not in the repository.

Inera's crm:scheduling 1.1 service contract, KITH's MsgHead and AppRec schemas, NAV's signed test
BehandlerKrav with its Buypass test CA chain, and NAV's field description of BehandlerKrav: third
parties publish them, and the repository does not copy them. ``NORDGATE_TEST_REFERENCE_DIR`` names
the folder that holds them (``kith/``, ``crm_scheduling_1.1/``, ``samples/``, ``nav-kuhr-krav/``);
CI sets it. Unset, the project workspace's own copy beside the checkout is used when there is one.
Tests that need the folder skip, saying so, when neither exists.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

REFERENCE_ENV: Final = "NORDGATE_TEST_REFERENCE_DIR"
_REPO = Path(__file__).resolve().parents[1]


def reference_root() -> Path:
    configured = os.environ.get(REFERENCE_ENV)
    if configured:
        return Path(configured)
    return _REPO.parent / "shared" / "reference"


REFERENCE: Final = reference_root()
NO_REFERENCE: Final = (f"official reference schemas and samples not found at {REFERENCE}: set {REFERENCE_ENV} "
                       "to the folder that holds them")
