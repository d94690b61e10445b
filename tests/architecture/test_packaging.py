"""What `pip install .` ships: every folder of Python code is a package, so find_packages picks it up.

A folder without ``__init__.py`` works from a checkout and in an editable install, and goes
missing from the wheel: ``nordgate serve`` then fails on import (it happened twice).
"""

from __future__ import annotations

from tests.conftest import REPO


def test_every_code_folder_is_a_package() -> None:
    missing = [
        str(folder.relative_to(REPO))
        for top in ("gateway", "adapters")
        for folder in [REPO / top, *(REPO / top).rglob("*")]
        if folder.is_dir() and folder.name != "__pycache__" and any(folder.glob("*.py"))
        and not (folder / "__init__.py").is_file()
    ]
    assert missing == []
