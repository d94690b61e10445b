"""The packages of gateway/ and adapters/ import each other in one direction only.

Counted over every import (module level, function level and ``TYPE_CHECKING``), so a cycle cannot
hide behind a deferred import. ``python -m tests.architecture.import_graph`` shows what makes one.
"""

from __future__ import annotations

from tests.architecture.import_graph import function_level_imports, package_cycles

# A ratchet while issue 11 untangles the packages: these only go down.
LARGEST_CYCLE = 6
FUNCTION_LEVEL_IMPORTS = 64


def test_package_cycles_do_not_grow() -> None:
    cycles = package_cycles()
    assert max((len(c) for c in cycles), default=0) <= LARGEST_CYCLE, cycles


def test_function_level_imports_do_not_grow() -> None:
    assert len(function_level_imports()) <= FUNCTION_LEVEL_IMPORTS
