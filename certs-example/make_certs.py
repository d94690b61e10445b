"""Make the SEID-shaped TEST certificates in certs-example/generated/. TEST ONLY, NEVER IN PRODUCTION.

Run from the repository root: ``python certs-example/make_certs.py [--out DIR]`` (or, installed,
``nordgate certs-example``). The logic lives in ``adapters.outbound.signing.example_certs`` so the
wheel carries it.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path


def _main() -> int:
    # Run as a script, this folder (not the repository root) is first on sys.path.
    root = Path(__file__).resolve().parent.parent
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    module = importlib.import_module("adapters.outbound.signing.example_certs")
    argv = sys.argv[1:] or ["--out", str(Path(__file__).resolve().parent / "generated")]
    result: int = module.main(argv)
    return result


if __name__ == "__main__":
    sys.exit(_main())
