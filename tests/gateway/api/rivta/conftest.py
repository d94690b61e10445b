"""A running ``nordgate serve`` for the RIVTA tests, the official contract folder it serves, and a
patched copy of the responder XSDs (outside the project) to validate our answers against.

The contract is Inera's published crm:scheduling 1.1 tree, read from ``shared/reference`` beside the
repository (``reference_dir``); the tests skip with a reason where it is absent.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from lxml import etree

from tests.auth_helpers import DEFAULT_CLIENT, api_key_env, test_client_spec
from tests.faults.processes import Gateway

UNIT = "SE2321000131-E000000000001"
OTHER_UNIT = "SE2321000131-E000000000002"
PERFORMER = "SE2321000131-P000000000123"
#: A client bound to another unit only (its key is derived from the spec: tests/auth_helpers.py).
OTHER_CLIENT = test_client_spec("rivta-other", tenants={OTHER_UNIT})
BROKEN_PATTERN = 'value="^[0-9]{8}[0-9pPtTfF][0-9]{3}$"'
REPAIRED_PATTERN = 'value="[0-9]{8}[0-9pPtTfF][0-9]{3}"'


@pytest.fixture(scope="session")
def contract_dir(reference_dir: Path) -> Path:
    folder = reference_dir / "crm_scheduling_1.1"
    if not (folder / "interactions").is_dir():
        pytest.skip(f"the crm:scheduling 1.1 service contract is not at {folder}")
    return folder


@pytest.fixture(scope="session")
def responder_schema(contract_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], etree.XMLSchema]:
    """The official responder XSD of an interaction, compiled from a temporary copy whose broken
    personnummer pattern (``^…$`` is literal in XSD) is repaired, as tests/adapters/…/test_xsd.py does."""
    copy = tmp_path_factory.mktemp("xsd") / "crm_scheduling_1.1"
    shutil.copytree(contract_dir, copy)
    core = copy / "core_components" / "crm_scheduling_1.1.xsd"
    text = core.read_text(encoding="utf-8")
    assert text.count(BROKEN_PATTERN) == 1
    core.write_text(text.replace(BROKEN_PATTERN, REPAIRED_PATTERN), encoding="utf-8")
    cache: dict[str, etree.XMLSchema] = {}
    parser = etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False)

    def get(interaction: str) -> etree.XMLSchema:
        if interaction not in cache:
            path = copy / "interactions" / f"{interaction}Interaction" / f"{interaction}Responder_1.1.xsd"
            cache[interaction] = etree.XMLSchema(etree.parse(str(path), parser))
        return cache[interaction]

    return get


def free_times(unit: str, times: list[tuple[str, str, str, str]]) -> bytes:
    """A GetAvailableTimeslotsResponse (what a PAS answers) publishing ``(start, end, performer, timeTypeID)``."""
    details = "".join(
        f"<g:timeslotDetail><c:startTimeInclusive>{start}</c:startTimeInclusive><c:endTimeExclusive>{end}"
        f"</c:endTimeExclusive><c:healthcare_facility>{unit}</c:healthcare_facility><c:performer>{performer}"
        "</c:performer><c:healthcare_facility_name>Vårdcentralen Gärdet</c:healthcare_facility_name>"
        f"<c:timeTypeID>{kind}</c:timeTypeID><c:careTypeID>LAK</c:careTypeID></g:timeslotDetail>"
        for start, end, performer, kind in times)
    return ('<g:GetAvailableTimeslotsResponse xmlns:g="urn:riv:crm:scheduling:GetAvailableTimeslotsResponder:1" '
            f'xmlns:c="urn:riv:crm:scheduling:1">{details}</g:GetAvailableTimeslotsResponse>').encode()


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory, contract_dir: Path) -> Iterator[Gateway]:
    """``nordgate serve`` on 127.0.0.1 with a fresh SQLite database, the contract folder set, and free
    times published for the unit (17 and 18 November 2026)."""
    folder = tmp_path_factory.mktemp("rivta-serve")
    # SQLite whatever the suite runs on: the server outlives single tests, and the PostgreSQL test
    # schemas are emptied after each test. The SOAP layer is the subject here, not the engine.
    env = {**api_key_env(OTHER_CLIENT), "NORDGATE_DATABASE_URL": f"sqlite:///{folder / 'rivta.db'}",
           "NORDGATE_RIVTA_CONTRACT_DIR": str(contract_dir), "NORDGATE_LOG_LEVEL": "warning"}
    server = Gateway(folder, env)
    try:
        published = free_times(UNIT, [
            ("20261117090000", "20261117093000", PERFORMER, "NYB"),
            ("20261117100000", "20261117103000", PERFORMER, "NYB"),
            ("20261117110000", "20261117113000", PERFORMER, "NYB"),
            ("20261118090000", "20261118093000", "SE2321000131-P000000000999", "ATB"),
        ])
        reply = httpx.post(f"{server.base}/bookings", content=published, timeout=30,
                           headers={**DEFAULT_CLIENT.headers, "Content-Type": "application/xml"})
        assert reply.status_code == 200, reply.text
        yield server
    finally:
        server.stop()
