"""``nordgate settle`` as a municipal finance office uses it: one verdict per bill, the batch goes on
without the refused bills, the table's rows are the bills by index and add up to the total, and the
signed result verifies with xmlsec1."""

from __future__ import annotations

import json
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from typer.testing import CliRunner

from adapters.outbound.bkm import BKM_NS
from gateway.cli import build_app
from tests.conftest import REPO
from tests.gateway.settlement.service.helpers import AR_DATA, CA_PEM, ENTERPRISE_P12, PASSWORD_FILE, batch, bill

XMLSEC1 = shutil.which("xmlsec1")
PHYSIO_SAMPLE = REPO / "samples" / "settlements" / "kommunalt-fellesoppgjor-fysioterapi.json"
SIGNER = ["--signer", "enterprise", "--p12", str(ENTERPRISE_P12), "--password-file", str(PASSWORD_FILE),
          "--trust", str(CA_PEM), "--ar-data", str(AR_DATA)]
NS = {"b": BKM_NS}


def run(tmp_path: Path, doc: dict[str, Any]) -> tuple[int, str, Path]:
    source, out = tmp_path / "batch.json", tmp_path / "signed.xml"
    source.write_text(json.dumps(doc), encoding="utf-8")
    # Wide enough that no cell of the table is folded.
    result = CliRunner().invoke(build_app(), ["settle", str(source), *SIGNER, "--out", str(out)],
                                env={"COLUMNS": "400"})
    return result.exit_code, result.stderr, out


def claim_of(signed: Path) -> etree._Element:
    found = etree.fromstring(signed.read_bytes()).xpath("//b:BehandlerKrav", namespaces=NS)
    assert isinstance(found, list) and isinstance(found[0], etree._Element)
    return found[0]


def text(element: etree._Element, path: str) -> str:
    found = element.xpath(f"string({path})", namespaces=NS)
    assert isinstance(found, str)
    return found


def rows(err: str) -> dict[str, list[str]]:
    """The summary table's body rows by their ``#`` cell, and the footer under ``"total"``."""
    found: dict[str, list[str]] = {}
    for line in err.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("│┃").split("│")]
        if len(cells) == 7 and cells[0].isdigit():  # the table's seven columns
            found[cells[0]] = cells
        elif len(cells) == 7 and cells[3] == "total":
            found["total"] = cells
    return found


def physio_sample() -> dict[str, Any]:
    doc = json.loads(PHYSIO_SAMPLE.read_text(encoding="utf-8"))
    assert isinstance(doc, dict)
    return doc


def seven_bills() -> dict[str, Any]:
    doc = physio_sample()
    ordinary, frikort = doc["bills"][1], doc["bills"][0]

    def like(template: dict[str, Any], number: int, **changes: Any) -> dict[str, Any]:
        made = {**template, "guid": f"0b7e5c1e-7777-4c4c-8a8a-{number:012d}", "billNumber": str(7000 + number),
                **changes}
        made.pop("note", None)
        return made

    no_exemption = {"patientSharePaid": False, "patientShare": "0.00"}
    wrong_fnr = ordinary["patient"]["id"][:-1] + str((int(ordinary["patient"]["id"][-1]) + 1) % 10)
    without_practitioner = like(ordinary, 7)
    del without_practitioner["practitionerHpr"]
    doc["bills"] = [
        like(ordinary, 1),                                                   # good: share paid, refund 0
        like(frikort, 2),                                                    # good: frikort, refund = share
        like(ordinary, 3, exemptionCode="B", **no_exemption),                # child under 16
        like(ordinary, 4, exemptionCode="Y", **no_exemption),                # occupational injury
        like(ordinary, 5, practitionerHpr="9999999"),                        # practitioner not chosen
        like(ordinary, 6, patient={"id": wrong_fnr}),                        # bad fødselsnummer
        without_practitioner,                                                # no practitioner
    ]
    return doc


@pytest.mark.skipif(XMLSEC1 is None, reason="xmlsec1 is not installed (apt-get install xmlsec1; CI installs it)")
def test_seven_physiotherapy_bills_sign_the_two_good_ones_and_refuse_five_each_with_its_code(tmp_path: Path) -> None:
    doc = seven_bills()
    code, err, out = run(tmp_path, doc)
    assert code == 0, err
    assert subprocess.run([str(XMLSEC1), "--verify", "--trusted-pem", str(CA_PEM), str(out)],
                          capture_output=True, check=False).returncode == 0

    claim = claim_of(out)
    assert claim.xpath("b:Enkeltregning/b:RegningNr/text()", namespaces=NS) == ["7001", "7002"]
    assert text(claim, "b:Krav/b:AntallRegninger") == "2"
    frikort_share = Decimal(doc["bills"][1]["patientShare"])
    assert Decimal(text(claim, "b:Krav/b:SumKravSamlet/@V")) == frikort_share
    assert claim.xpath("//b:Diagnose", namespaces=NS) == []  # kommunal fysioterapi: no diagnosis

    table = rows(err)
    refusals = {index: table[index][4] for index in ("2", "3", "4", "5", "6")}
    assert refusals == {"2": "BILL_EXEMPTION_CHILD_COVERED_BY_GRANT", "3": "BILL_EXEMPTION_INJURY_COVERED_BY_GRANT",
                        "4": "BILL_PRACTITIONER_NOT_CHOSEN", "5": "NATIONAL_ID_CHECK_DIGIT",
                        "6": "BILL_PRACTITIONER_MISSING"}
    assert all(table[index][3] == "refused" for index in refusals)
    assert "2 included, 5 refused, 0 dropped" in err


def test_the_index_column_is_the_bill_index_also_for_refusals_located_inside_a_bill(tmp_path: Path) -> None:
    wrong = bill(2, patient={"id": "15056522278"})  # check digit off by one
    code, err, _ = run(tmp_path, batch([bill(1), wrong, bill(3, dateTime="2024-02-30T10:00:00+01:00")]))
    assert code == 0, err
    table = rows(err)
    assert [(i, table[i][4]) for i in ("0", "1", "2")] == [
        ("0", ""), ("1", "NATIONAL_ID_CHECK_DIGIT"), ("2", "BILL_DATETIME_INVALID")]


def test_credit_bills_are_negative_and_the_rows_add_up_to_the_total(tmp_path: Path) -> None:
    code, err, out = run(tmp_path, batch([bill(1), bill(2, credit=True), bill(3, patientSharePaid=False)]))
    assert code == 0, err
    table = rows(err)
    refunds = [Decimal(table[i][5]) for i in ("0", "1", "2")]
    assert refunds == [Decimal("20.00"), Decimal("-20.00"), Decimal("196.00")]
    assert Decimal(table["total"][5]) == sum(refunds) == Decimal("196.00")
    assert Decimal(text(claim_of(out), "b:Krav/b:SumKravSamlet/@V")) == sum(refunds)
    assert f"total claimed {sum(refunds)} NOK for 3 bill(s)" in err


def test_a_frikort_bill_without_patient_share_is_included_with_a_warning(tmp_path: Path) -> None:
    doc = physio_sample()
    doc["bills"][0]["patientShare"] = "0.00"
    code, err, _ = run(tmp_path, doc)
    assert code == 0, err
    first = rows(err)["0"]
    assert (first[3], first[5]) == ("included", "0.00")
    assert "BILL_FRIKORT_WITHOUT_PATIENT_SHARE" in first[6]
