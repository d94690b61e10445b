"""Every crm:scheduling sample is valid against Inera's official crm:scheduling 1.1 XSDs.

The schema of a message is chosen by its root namespace (``urn:riv:crm:scheduling:<Contract>Responder:1``
-> ``interactions/<Contract>Interaction/<Contract>Responder_1.1.xsd``); a SOAP envelope is unwrapped
first and its RIVTA headers (LogicalAddress, Actor) are checked against their own core schemas.

The official core schema has a known trap: ``SubjectOfCareIdType`` is written as
``^[0-9]{8}[0-9pPtTfF][0-9]{3}$``, but XSD patterns are implicitly anchored and know no ``^``/``$``
anchors, so both are literal characters and no real personnummer matches. The schemas are
therefore compiled from a copy of the whole tree with that one pattern repaired; a test below
proves, against the untouched files, why the repair is needed.

The reference schemas are not part of the repository (``tests/reference.py`` says where they are found); without them
every test here skips with the reason.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from lxml import etree

from tests.conftest import SAMPLES

CRM_SAMPLES = SAMPLES / "crm-scheduling"
TREE = "crm_scheduling_1.1"
CORE_XSD = Path("core_components") / "crm_scheduling_1.1.xsd"
BROKEN_PATTERN = 'value="^[0-9]{8}[0-9pPtTfF][0-9]{3}$"'
REPAIRED_PATTERN = 'value="[0-9]{8}[0-9pPtTfF][0-9]{3}"'

CRM_PREFIX = "urn:riv:crm:scheduling:"
RESPONDER_SUFFIX = "Responder:1"
SOAP_ENVELOPES = {"http://schemas.xmlsoap.org/soap/envelope/", "http://www.w3.org/2003/05/soap-envelope"}
HEADER_XSDS = {
    "urn:riv:itintegration:registry:1": Path("core_components") / "itintegration_registry_1.0.xsd",
    "urn:riv:interoperability:headers:1": Path("core_components") / "interoperability_headers_1.0.xsd",
}

# Samples whose point is a value the official XSD rejects on purpose: name -> (why, a fragment the
# schema's error must contain, so the sample fails for the intended reason and no other).
XSD_INVALID_ON_PURPOSE: dict[str, tuple[str, str]] = {
    "23-make-booking-last-name-missing.xml": (
        "subject_of_care_info without lastName (minOccurs=1 in SubjectOfCareType): the sample shows the "
        "gateway refuses it as well (422 PATIENT_NAME_MISSING)",
        "lastName",
    ),
}

SAMPLE_FILES = sorted(CRM_SAMPLES.glob("*.xml"))


def _parser() -> etree.XMLParser:
    return etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False)


def _compile(path: Path) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(path), _parser()))


def _responder_xsd(namespace: str) -> Path:
    """``urn:riv:crm:scheduling:MakeBookingResponder:1`` -> the responder XSD's path in the tree."""
    assert namespace.startswith(CRM_PREFIX) and namespace.endswith(RESPONDER_SUFFIX), (
        f"{namespace!r} is not a crm:scheduling responder namespace")
    contract = namespace[len(CRM_PREFIX):-len(RESPONDER_SUFFIX)]
    return Path("interactions") / f"{contract}Interaction" / f"{contract}Responder_1.1.xsd"


class Schemas:
    """Compiled schemas of one crm_scheduling_1.1 tree, each compiled once."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._cache: dict[Path, etree.XMLSchema] = {}

    def get(self, relative: Path) -> etree.XMLSchema:
        path = self.root / relative
        assert path.is_file(), f"no schema {relative} in {self.root}"
        if relative not in self._cache:
            self._cache[relative] = _compile(path)
        return self._cache[relative]


@pytest.fixture(scope="session")
def official_tree(reference_dir: Path) -> Path:
    tree = reference_dir / TREE
    if not tree.is_dir():
        pytest.skip(f"{tree} is absent from the reference folder")
    return tree


@pytest.fixture(scope="session")
def schemas(official_tree: Path, tmp_path_factory: pytest.TempPathFactory) -> Schemas:
    """The whole official tree copied to a temporary folder, with the personnummer pattern repaired."""
    copy = tmp_path_factory.mktemp("xsd") / TREE
    shutil.copytree(official_tree, copy)
    core = copy / CORE_XSD
    text = core.read_text(encoding="utf-8")
    assert text.count(BROKEN_PATTERN) == 1, "the official core XSD no longer has the known ^…$ pattern"
    core.write_text(text.replace(BROKEN_PATTERN, REPAIRED_PATTERN), encoding="utf-8")
    return Schemas(copy)


def _standalone(element: etree._Element) -> etree._ElementTree:
    # Serialising a sub-element keeps the namespace declarations it inherits; re-parsing gives a
    # document whose root is the message, which is what the responder schema describes.
    return etree.ElementTree(etree.fromstring(etree.tostring(element), _parser()))


def _split(path: Path) -> tuple[etree._Element, list[etree._Element]]:
    """The message element of a sample and its SOAP header blocks (none for a bare message)."""
    root = etree.parse(str(path), _parser()).getroot()
    if etree.QName(root).localname != "Envelope" or etree.QName(root).namespace not in SOAP_ENVELOPES:
        return root, []
    envelope_ns = etree.QName(root).namespace
    headers = [block for header in root.findall(f"{{{envelope_ns}}}Header") for block in header
               if isinstance(block.tag, str)]
    [body] = root.findall(f"{{{envelope_ns}}}Body")
    [message] = [child for child in body if isinstance(child.tag, str)]
    return message, headers


def _errors(schema: etree.XMLSchema) -> str:
    return "\n".join(f"line {error.line}: {error.message}" for error in schema.error_log)


def test_there_are_crm_scheduling_samples() -> None:
    assert len(SAMPLE_FILES) >= 18


def test_invalid_on_purpose_list_names_existing_samples() -> None:
    names = {path.name for path in SAMPLE_FILES}
    assert set(XSD_INVALID_ON_PURPOSE) <= names, set(XSD_INVALID_ON_PURPOSE) - names


@pytest.mark.parametrize("sample", SAMPLE_FILES, ids=[path.stem for path in SAMPLE_FILES])
def test_sample_against_official_responder_xsd(sample: Path, schemas: Schemas) -> None:
    message, headers = _split(sample)
    namespace = etree.QName(message).namespace or ""
    schema = schemas.get(_responder_xsd(namespace))
    valid = schema.validate(_standalone(message))
    if sample.name in XSD_INVALID_ON_PURPOSE:
        why, fragment = XSD_INVALID_ON_PURPOSE[sample.name]
        assert not valid, f"{sample.name} is listed as XSD-invalid on purpose ({why}) but validates"
        assert fragment in _errors(schema), f"{sample.name} fails for another reason:\n{_errors(schema)}"
    else:
        assert valid, f"{sample.name} is not valid against {_responder_xsd(namespace)}:\n{_errors(schema)}"
    for block in headers:
        header_xsd = HEADER_XSDS.get(etree.QName(block).namespace or "")
        if header_xsd is None:
            continue
        header_schema = schemas.get(header_xsd)
        assert header_schema.validate(_standalone(block)), (
            f"{sample.name}: SOAP header {block.tag} is invalid:\n{_errors(header_schema)}")


def test_responder_xsd_is_chosen_by_root_namespace() -> None:
    assert _responder_xsd("urn:riv:crm:scheduling:MakeBookingResponder:1") == Path(
        "interactions/MakeBookingInteraction/MakeBookingResponder_1.1.xsd")
    assert _responder_xsd("urn:riv:crm:scheduling:GetSubjectOfCareScheduleResponder:1") == Path(
        "interactions/GetSubjectOfCareScheduleInteraction/GetSubjectOfCareScheduleResponder_1.1.xsd")


def _schedule_request(subject_of_care: str) -> etree._ElementTree:
    ns = "urn:riv:crm:scheduling:GetSubjectOfCareScheduleResponder:1"
    request = etree.Element(f"{{{ns}}}GetSubjectOfCareSchedule", nsmap={"gsc": ns})
    etree.SubElement(request, f"{{{ns}}}healthcare_facility").text = "SE2321000131-E000000000001"
    etree.SubElement(request, f"{{{ns}}}subject_of_care").text = subject_of_care
    return etree.ElementTree(request)


SCHEDULE_XSD = _responder_xsd("urn:riv:crm:scheduling:GetSubjectOfCareScheduleResponder:1")


def test_unpatched_core_schema_rejects_a_real_personnummer(official_tree: Path) -> None:
    # Compiled straight from the official files (read only): the reason the copy above is patched.
    unpatched = _compile(official_tree / SCHEDULE_XSD)
    assert not unpatched.validate(_schedule_request("191212121212"))
    assert "subject_of_care" in _errors(unpatched)
    # ... because ^ and $ are literal characters in an XSD pattern:
    assert unpatched.validate(_schedule_request("^191212121212$"))
    # The same happens inside a whole sample message.
    message, _ = _split(CRM_SAMPLES / "01-make-booking-soap.xml")
    unpatched_make = _compile(official_tree / _responder_xsd(etree.QName(message).namespace or ""))
    assert not unpatched_make.validate(_standalone(message))
    assert "subject_of_care" in _errors(unpatched_make)


def test_patched_core_schema_accepts_real_numbers_and_refuses_bad_shapes(schemas: Schemas) -> None:
    schema = schemas.get(SCHEDULE_XSD)
    for good in ("191212121212", "197010632391", "19850415T123", "19850415p123"):
        assert schema.validate(_schedule_request(good)), f"{good}: {_errors(schema)}"
    for bad in ("^191212121212$", "1212121212", "19121212-1212", "19850415X123", "1912121212123"):
        assert not schema.validate(_schedule_request(bad)), bad
