"""The packages of gateway/ and adapters/ import each other in one direction only.

Counted over every import (module level, function level and ``TYPE_CHECKING``), so a cycle cannot
hide behind a deferred import. ``python -m tests.architecture.import_graph`` shows what makes one.
"""

from __future__ import annotations

import linecache

from tests.architecture.import_graph import ROOT, function_level_imports, package_cycles


def test_no_package_cycles() -> None:
    assert package_cycles() == []


def test_a_function_level_import_says_why_it_is_deferred() -> None:
    # The CLI defers every command's imports on purpose (gateway/cli/__init__.py says why); anywhere
    # else a function-level import is a heavy optional import, and its line says which.
    unexplained = [
        f"{imp.file}:{imp.line}" for imp in function_level_imports()
        if not imp.file.startswith("gateway/cli/")
        and "noqa: PLC0415 - " not in linecache.getline(str(ROOT / imp.file), imp.line)
    ]
    assert unexplained == []
