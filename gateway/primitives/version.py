"""This build's version, as the installed distribution says (``0+source`` in a bare checkout)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

__all__ = ["software_version"]


def software_version() -> str:
    try:
        return version("nordgate")
    except PackageNotFoundError:
        return "0+source"
