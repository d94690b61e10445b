"""Where the project's own data files are: ``mappings/`` and ``schemas/``.

In a source checkout they are the top-level folders integration engineers edit; in an installed
wheel setup.py has put them into ``gateway/_data/``. Both are looked up here and nowhere else, and
XML schemas are loaded once and cached.
"""

from __future__ import annotations

import functools
import importlib.resources
import threading
from pathlib import Path

import orjson
from lxml import etree

from gateway.primitives.errors import ConfigurationError

__all__ = ["data_dir", "load_json_schema", "load_xsd", "mappings_dir", "schemas_dir"]

_SOURCE_ROOT = Path(__file__).resolve().parents[2]


def data_dir(name: str) -> Path:
    source = _SOURCE_ROOT / name
    if source.is_dir() and (_SOURCE_ROOT / "pyproject.toml").is_file():
        return source
    installed = Path(str(importlib.resources.files("gateway._data") / name))
    if installed.is_dir():
        return installed
    raise ConfigurationError("DATA_DIR_MISSING", f"the {name}/ folder is neither in the checkout nor installed")


def mappings_dir() -> Path:
    return data_dir("mappings")


def schemas_dir() -> Path:
    return data_dir("schemas")


# functools.cache does not stop two threads from compiling the same XSD at once, and libxml2 schema
# compilation racing with other libxml2 work was seen failing ("Document is not valid XML Schema",
# XMLSchemaValidateError) on the first concurrent settlement submissions of a fresh process.
_XSD_LOCK = threading.Lock()


def load_xsd(path: Path) -> etree.XMLSchema:
    """Compile an XSD once (one thread at a time). Imports are resolved from the file's folder, never
    the network."""
    with _XSD_LOCK:
        return _compile_xsd(path)


@functools.cache
def _compile_xsd(path: Path) -> etree.XMLSchema:
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    try:
        return etree.XMLSchema(etree.parse(str(path), parser))
    except (OSError, etree.XMLSchemaParseError, etree.XMLSyntaxError) as exc:
        raise ConfigurationError("SCHEMA_UNREADABLE", f"cannot load XML schema {path}: {exc}") from None


@functools.cache
def load_json_schema(name: str) -> dict[str, object]:
    path = schemas_dir() / name
    try:
        loaded = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError) as exc:
        raise ConfigurationError("SCHEMA_UNREADABLE", f"cannot load JSON schema {path}: {exc}") from None
    if not isinstance(loaded, dict):
        raise ConfigurationError("SCHEMA_UNREADABLE", f"JSON schema {path} is not an object")
    return loaded
