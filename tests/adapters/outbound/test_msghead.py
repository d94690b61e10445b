"""MsgHead v1.2 around BehandlerKrav: exact structure, purity, and validation against the official
MsgHead XSD with the BKM subset XSD beside it."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import shutil
import uuid
from pathlib import Path

import pytest
from lxml import etree

from adapters.outbound.bkm import BKM_NS
from adapters.outbound.msghead import MSGHEAD_NS, build_settlement_msghead, validate_msghead, wrap
from gateway.domain.parties import PartyType
from gateway.domain.settlement import SettlementPlan
from gateway.primitives.errors import ConfigurationError, Unprocessable
from gateway.primitives.xmlsafe import parse_xml
from gateway.settlement.batch import parse_batch
from gateway.settlement.rules import check
from tests.gateway.settlement.factories import (
    SIGNER,
    batch_dict,
    helfo_party,
    parse,
    sample_paths,
    sender_party,
)
from tests.reference import NO_REFERENCE, REFERENCE

NS = {"m": MSGHEAD_NS, "b": BKM_NS}
KITH = REFERENCE / "kith"
REAL_SAMPLE = REFERENCE / "samples" / "BKM_POM_signed_MsgHead_navikt-ebxml-processor.xml"
needs_reference = pytest.mark.skipif(not (KITH / "MsgHead-v1_2.xsd").is_file(), reason=NO_REFERENCE)

GEN_DATE = dt.datetime(2024, 3, 5, 11, 0, 0, tzinfo=dt.UTC)
MSG_ID = uuid.UUID("6b0f3c7e-3f0c-4f6e-9f7a-0d1c2b3a4f5e")


def value(root: etree._Element, path: str) -> str:
    found = root.xpath(path, namespaces=NS)
    assert isinstance(found, list) and len(found) == 1, f"{path}: {found}"
    item = found[0]
    return item if isinstance(item, str) else (item.text or "")  # type: ignore[union-attr]


def message(plan: SettlementPlan, **kwargs: object) -> etree._Element:
    args: dict[str, object] = {"sender": sender_party(), "receiver": helfo_party(), "gen_date": GEN_DATE,
                               "msg_id": MSG_ID}
    args.update(kwargs)
    return build_settlement_msghead(plan, **args)  # type: ignore[arg-type]


def test_msginfo_is_built_from_inputs_and_parties() -> None:
    root = message(check(parse(batch_dict())))
    assert root.tag == f"{{{MSGHEAD_NS}}}MsgHead"
    assert [etree.QName(c).localname for c in root] == ["MsgInfo", "Document"]
    assert value(root, "m:MsgInfo/m:Type/@V") == "LOM"
    assert value(root, "m:MsgInfo/m:Type/@DN") == "Legeoppgjørsmelding"
    assert value(root, "m:MsgInfo/m:MIGversion") == "v1.2 2006-05-24"
    assert value(root, "m:MsgInfo/m:GenDate") == "2024-03-05T12:00:00+01:00"
    assert value(root, "m:MsgInfo/m:MsgId") == str(MSG_ID)
    assert value(root, "m:MsgInfo/m:ProcessingStatus/@V") == "P"
    sender = "m:MsgInfo/m:Sender/m:Organisation"
    assert value(root, f"{sender}/m:OrganisationName") == "Legekontoret i Eksempel kommune"
    assert value(root, f"{sender}/m:Ident[m:TypeId/@V='HER']/m:Id") == "8100001"
    assert value(root, f"{sender}/m:Ident[m:TypeId/@V='ENH']/m:Id") == "940000017"
    assert value(root, f"{sender}/m:Ident[1]/m:TypeId/@S") == "2.16.578.1.12.4.1.1.9051"
    assert value(root, f"{sender}/m:Address/m:City") == "Oslo"
    receiver = "m:MsgInfo/m:Receiver/m:Organisation"
    assert value(root, f"{receiver}/m:OrganisationName") == "Helfo"
    assert value(root, f"{receiver}/m:Ident[m:TypeId/@V='HER']/m:Id") == "79768"
    assert value(root, f"{receiver}/m:Ident[m:TypeId/@V='ENH']/m:Id") == "889640782"
    assert root.xpath(f"{receiver}/m:HealthcareProfessional", namespaces=NS) == []
    ref = "m:Document/m:RefDoc"
    assert value(root, f"{ref}/m:MsgType/@V") == "XML"
    assert value(root, f"{ref}/m:MimeType") == "text/xml"
    assert value(root, f"{ref}/m:Description") == "BehandlerKrav"
    assert value(root, f"{ref}/m:Content/b:BehandlerKrav/b:Krav/b:AntallRegninger") == "1"
    assert root.xpath("//*[local-name()='Signature']") == []


def test_personal_signer_is_the_senders_healthcare_professional() -> None:
    root = message(check(parse(batch_dict("kommunalt-enkeltoppgjor-lege"))))
    hcp = "m:MsgInfo/m:Sender/m:Organisation/m:HealthcareProfessional"
    assert value(root, f"{hcp}/m:FamilyName") == "Lege"
    assert value(root, f"{hcp}/m:GivenName") == "Kari"
    assert value(root, f"{hcp}/m:Ident/m:Id") == SIGNER
    assert value(root, f"{hcp}/m:Ident/m:TypeId/@S") == "2.16.578.1.12.4.1.1.8116"


def test_enterprise_signed_settlement_names_no_healthcare_professional() -> None:
    root = message(check(parse(batch_dict("kommunalt-fellesoppgjor-lege"))))
    assert root.xpath("//m:HealthcareProfessional", namespaces=NS) == []


def test_message_type_comes_from_the_account() -> None:
    doc = batch_dict()
    doc["account"]["messageType"] = "POM"
    root = message(check(parse(doc)))
    assert value(root, "m:MsgInfo/m:Type/@V") == "POM"
    assert value(root, "m:MsgInfo/m:Type/@DN") == "Poliklinisk oppgjørsmelding"


@pytest.mark.parametrize(("accounting_type", "type_v", "type_dn"), [
    ("standard", "LOM", "Legeoppgjørsmelding"),
    ("kommunalt-enkeltoppgjor-lege", "LOM", "Legeoppgjørsmelding"),
    ("kommunalt-fellesoppgjor-lege", "LOM", "Legeoppgjørsmelding"),
    ("kommunalt-fellesoppgjor-fysioterapi", "POM", "Poliklinisk oppgjørsmelding"),
])
def test_message_type_is_chosen_by_accounting_type_never_lom_for_physiotherapy(
    accounting_type: str, type_v: str, type_dn: str
) -> None:
    root = message(check(parse(batch_dict(accounting_type))))
    assert (value(root, "m:MsgInfo/m:Type/@V"), value(root, "m:MsgInfo/m:Type/@DN")) == (type_v, type_dn)


def test_same_inputs_give_byte_identical_messages_and_id_and_clock_change_them() -> None:
    plan = check(parse(batch_dict()))
    assert etree.tostring(message(plan)) == etree.tostring(message(plan))
    assert etree.tostring(message(plan)) != etree.tostring(message(plan, msg_id=uuid.UUID(int=7)))
    later = message(plan, gen_date=GEN_DATE + dt.timedelta(seconds=1))
    assert value(later, "m:MsgInfo/m:GenDate") == "2024-03-05T12:00:01+01:00"


def test_department_without_own_orgnr_uses_its_parents() -> None:
    dept = dataclasses.replace(sender_party(orgnr=None), type=PartyType.DEPARTMENT,
                               parent_organization_number="940000025")
    root = message(check(parse(batch_dict())), sender=dept)
    assert value(root, "m:MsgInfo/m:Sender/m:Organisation/m:Ident[m:TypeId/@V='ENH']/m:Id") == "940000025"


def test_party_without_any_orgnr_is_refused() -> None:
    with pytest.raises(Unprocessable) as caught:
        message(check(parse(batch_dict())), sender=sender_party(orgnr=None))
    assert caught.value.code == "PARTY_ORGNR_MISSING"
    assert caught.value.her_id == "8100001"


def test_naive_clock_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        message(check(parse(batch_dict())), gen_date=dt.datetime(2024, 1, 1))


def test_validate_without_reference_checks_the_bkm_subset() -> None:
    root = message(check(parse(batch_dict())))
    validate_msghead(root, None)
    krav = root.xpath("//b:Krav", namespaces=NS)[0]  # type: ignore[index]
    krav.getparent().remove(krav)
    with pytest.raises(Unprocessable) as caught:
        validate_msghead(root, None)
    assert caught.value.code == "BKM_SCHEMA_INVALID"
    assert caught.value.issues


def test_validate_refuses_a_msghead_without_behandlerkrav() -> None:
    root = wrap(etree.Element("{urn:other}Thing"), sender=sender_party(), receiver=helfo_party(),
                message_type="LOM", gen_date=GEN_DATE, msg_id=MSG_ID)
    with pytest.raises(Unprocessable) as caught:
        validate_msghead(root, None)
    assert caught.value.code == "BKM_MISSING"


def test_reference_folder_without_msghead_xsd_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError) as caught:
        validate_msghead(message(check(parse(batch_dict()))), tmp_path)
    assert caught.value.code == "REFERENCE_SCHEMA_MISSING"


@needs_reference
@pytest.mark.parametrize("path", sample_paths(), ids=lambda p: p.name)
def test_every_sample_message_validates_against_the_official_msghead_xsd(path: Path) -> None:
    plan = check(parse_batch(path.read_bytes()))
    validate_msghead(message(plan), KITH)


@needs_reference
def test_official_validation_catches_an_envelope_fault() -> None:
    root = message(check(parse(batch_dict())))
    mig = root.xpath("m:MsgInfo/m:MIGversion", namespaces=NS)[0]  # type: ignore[index]
    mig.text = "v1.1"  # type: ignore[union-attr]
    validate_msghead(root, None)  # the BKM subset alone does not look at the envelope
    with pytest.raises(Unprocessable) as caught:
        validate_msghead(root, KITH)
    assert caught.value.code == "MSGHEAD_SCHEMA_INVALID"


@needs_reference
def test_official_validation_is_strict_about_content_through_the_bkm_xsd() -> None:
    root = message(check(parse(batch_dict())))
    etree.SubElement(root.xpath("//b:BehandlerKrav", namespaces=NS)[0], f"{{{BKM_NS}}}Unknown")  # type: ignore[arg-type,index]
    with pytest.raises(Unprocessable):
        validate_msghead(root, KITH)


@needs_reference
def test_the_real_signed_nav_message_validates_with_our_bkm_xsd() -> None:
    validate_msghead(parse_xml(REAL_SAMPLE.read_bytes()), KITH)


@needs_reference
def test_signed_shape_is_accepted_a_signature_last(tmp_path: Path) -> None:
    # The signer appends ds:Signature as the last child; the schema check must take that shape.
    real = parse_xml(REAL_SAMPLE.read_bytes())
    signature = copy.deepcopy(real[-1])
    root = message(check(parse(batch_dict())))
    root.append(signature)
    folder = tmp_path / "kith"
    shutil.copytree(KITH, folder)
    validate_msghead(root, folder)

