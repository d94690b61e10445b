"""Every URL nordgate invents is documented in docs/fhir-extensions.md, and nothing else is."""

from __future__ import annotations

import re

from gateway.fhir.canonical import BASE, CODE_SYSTEMS, EXTENSIONS, NAMING_SYSTEMS, code_system, extension, naming_system
from tests.conftest import REPO


def test_docs_list_exactly_the_declared_urls() -> None:
    text = (REPO / "docs" / "fhir-extensions.md").read_text()
    documented = set(re.findall(re.escape(BASE) + r"/[A-Za-z]+/[a-z0-9-]+", text))
    declared = ({extension(name) for name in EXTENSIONS} | {code_system(name) for name in CODE_SYSTEMS}
                | {naming_system(name) for name in NAMING_SYSTEMS})
    assert documented == declared
