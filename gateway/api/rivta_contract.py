"""``?wsdl`` and ``?xsd=``: the official crm:scheduling 1.1 contract, served with our address.

The tree (``core_components/``, ``interactions/``) is Inera's published service contract
``TD_SCHEDULING_1_1_0_R``, unpacked by the operator into the folder ``NORDGATE_RIVTA_CONTRACT_DIR``
names. nordgate does not ship the contract files (docs/rivta.md says why); without the setting
``?wsdl`` answers 404 ``RIVTA_CONTRACT_NOT_CONFIGURED``.

Served documents are the official files with two rewrites only, done on the parsed tree:

- the WSDL's ``soap:address/@location`` (``http://tempuri.org``) becomes the endpoint's URL;
- every ``xs:import/@schemaLocation`` (relative, e.g. ``../../core_components/...``) becomes
  ``<endpoint>?xsd=<path in the tree>`` so a client (zeep, CXF wsdl2java, .NET svcutil) fetching the
  WSDL over HTTP resolves the imports from us. Only files of the tree are served (no traversal).
"""

from __future__ import annotations

import posixpath
from pathlib import Path
from urllib.parse import quote

from lxml import etree

__all__ = ["ContractTree"]

_WSDL_NS = "http://schemas.xmlsoap.org/wsdl/"
_WSDL_SOAP_NS = "http://schemas.xmlsoap.org/wsdl/soap/"
_XS_NS = "http://www.w3.org/2001/XMLSchema"


def _parser() -> etree.XMLParser:
    return etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False, remove_blank_text=False)


class ContractTree:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._cache: dict[tuple[str, str, str], bytes] = {}
        # The allow-list: every file of the tree, by its POSIX path relative to the root.
        self.files = {path.relative_to(root).as_posix() for path in root.rglob("*")
                      if path.is_file() and path.suffix in {".wsdl", ".xsd"}}

    def _parsed(self, relative: str) -> bytes:
        return (self.root / relative).read_bytes()

    def served(self, kind: str, relative: str, endpoint: str) -> bytes | None:
        """The rewritten ``wsdl`` or ``xsd`` document, built once per (file, endpoint)."""
        key = (kind, relative, endpoint)
        found = self._cache.get(key)
        if found is None:
            found = self.wsdl(relative, endpoint) if kind == "wsdl" else self.xsd(relative, endpoint)
            if found is not None and len(self._cache) < 256:  # bounded: endpoints are few, paths are listed
                self._cache[key] = found
        return found

    def _rewrite_imports(self, doc: etree._Element, relative: str, endpoint: str) -> None:
        here = posixpath.dirname(relative)
        for node in doc.iter(f"{{{_XS_NS}}}import", f"{{{_XS_NS}}}include"):
            location = node.get("schemaLocation")
            if not location:
                continue
            target = posixpath.normpath(posixpath.join(here, location))
            if target not in self.files:
                raise LookupError(f"{relative} imports {location}, which is not in the tree")
            node.set("schemaLocation", f"{endpoint}?xsd={quote(target, safe='/')}")

    def wsdl(self, relative: str, endpoint: str) -> bytes | None:
        """The interaction's WSDL with ``endpoint`` (absolute URL of the service) filled in; ``None``
        when the folder does not hold it."""
        if relative not in self.files:
            return None
        doc = etree.fromstring(self._parsed(relative), _parser())
        for address in doc.iter(f"{{{_WSDL_SOAP_NS}}}address"):
            address.set("location", endpoint)
        self._rewrite_imports(doc, relative, endpoint)
        return bytes(etree.tostring(doc, xml_declaration=True, encoding="UTF-8"))

    def xsd(self, relative: str, endpoint: str) -> bytes | None:
        """A schema of the tree, imports pointing back at us; ``None`` for a path not in the tree."""
        if relative not in self.files or not relative.endswith(".xsd"):
            return None
        doc = etree.fromstring(self._parsed(relative), _parser())
        self._rewrite_imports(doc, relative, endpoint)
        return bytes(etree.tostring(doc, xml_declaration=True, encoding="UTF-8"))
