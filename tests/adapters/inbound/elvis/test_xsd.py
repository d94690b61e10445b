"""Every Elvis group-visit sample is valid against the project's own XSD, and the XSD refuses what it should.

The schema is the project's (``schemas/elvis-group-visit-1.0.xsd``), so unlike the crm:scheduling
test nothing here needs the reference folder. Samples refused by the gateway for a rule the schema
cannot state (capacity, errand calls, unknown session) are still schema-valid: the refusal is the
gateway's, not the schema's.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from adapters.inbound.elvis import MESSAGE_READERS, NAMESPACE
from adapters.inbound.elvis.visits import CALL_KINDS
from tests.conftest import REPO, SAMPLES

XSD = REPO / "schemas" / "elvis-group-visit-1.0.xsd"
SAMPLE_FILES = sorted((SAMPLES / "elvis").glob("*.xml"))


def _parser() -> etree.XMLParser:
    return etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False)


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(XSD), _parser()))


def _errors(schema: etree.XMLSchema) -> str:
    return "\n".join(f"line {error.line}: {error.message}" for error in schema.error_log)


def test_there_are_elvis_samples_of_every_message() -> None:
    assert len(SAMPLE_FILES) >= 12
    roots = {etree.QName(etree.parse(str(path), _parser()).getroot()).localname for path in SAMPLE_FILES}
    assert roots == set(MESSAGE_READERS)


@pytest.mark.parametrize("sample", SAMPLE_FILES, ids=[path.stem for path in SAMPLE_FILES])
def test_sample_is_valid_against_the_elvis_xsd(sample: Path, schema: etree.XMLSchema) -> None:
    document = etree.parse(str(sample), _parser())
    assert etree.QName(document.getroot()).namespace == NAMESPACE
    assert schema.validate(document), f"{sample.name}:\n{_errors(schema)}"


def test_the_schema_declares_exactly_the_messages_the_adapter_reads(schema: etree.XMLSchema) -> None:
    tree = etree.parse(str(XSD), _parser())
    xs = "http://www.w3.org/2001/XMLSchema"
    roots = {element.get("name") for element in tree.getroot().findall(f"{{{xs}}}element")}
    assert roots == set(MESSAGE_READERS)
    kinds = tree.getroot().xpath("//xs:simpleType[@name='CallKindType']//xs:enumeration/@value", namespaces={"xs": xs})
    assert tuple(kinds) == CALL_KINDS


def _cancellation(**values: str) -> etree._ElementTree:
    fields = {"healthcare_facility": "SE2321000131-E000000011111", "sessionId": "S-1",
              "subject_of_care": "201003121009", "cancelledBy": "guardian", "deviation": "Sjuk"} | values
    body = "".join(f"<{name}>{value}</{name}>" for name, value in fields.items() if value)
    return etree.ElementTree(etree.fromstring(f'<Cancellation xmlns="{NAMESPACE}">{body}</Cancellation>'.encode()))


def test_the_schema_accepts_a_minimal_cancellation(schema: etree.XMLSchema) -> None:
    assert schema.validate(_cancellation()), _errors(schema)


@pytest.mark.parametrize("values,fragment", [
    ({"healthcare_facility": "E000000011111"}, "healthcare_facility"),
    ({"subject_of_care": "20100312-1009"}, "subject_of_care"),
    ({"subject_of_care": "^201003121009$"}, "subject_of_care"),
    ({"cancelledBy": "doctor"}, "cancelledBy"),
    ({"deviation": ""}, "deviation"),
])
def test_the_schema_refuses_bad_shapes(schema: etree.XMLSchema, values: dict[str, str], fragment: str) -> None:
    assert not schema.validate(_cancellation(**values))
    assert fragment in _errors(schema)
