"""The hostile corpus (tests/hostile/corpus/manifest.json) against the real app and ``nordgate verify``.

Every HTTP case must come back within 2 s as an OperationOutcome with the manifest's 4xx status and
stable code, and the gateway must keep serving afterwards; every ``nordgate verify`` case must end
with the manifest's exit code (0 valid, 1 invalid, 2 unreadable) and no unhandled exception. Each
endpoint's cases run in one test on one app, and every mismatch is listed, not only the first.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import typer
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from gateway.cli import build_app
from tests.adapters.inbound.crm_scheduling.messages import make_booking
from tests.gateway.settlement.service.helpers import CA_PEM

from .conftest import CORPUS, manifest
from .generators import GENERATED, SIGNED_VARIANTS, STREAMED, chunks_of, signed_message

CASES = manifest()
HTTP_ENDPOINTS = ("POST /bookings", "POST /settlements", "POST /apprec")
TIME_LIMIT_S = 2.0


def _body(case: dict[str, Any]) -> bytes:
    if "file" in case:
        return (CORPUS / str(case["file"])).read_bytes()
    generate: str = case["generate"]
    return GENERATED[generate]()


def _name(case: dict[str, Any]) -> str:
    return str(case.get("file") or case["generate"])


def _outcome_code(response: Any) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    if not isinstance(body, dict) or body.get("resourceType") != "OperationOutcome":
        return None
    return str(body["issue"][0]["details"]["coding"][0]["code"])


def test_manifest_lists_every_corpus_file_once_and_every_generator_exists() -> None:
    on_disk = {str(path.relative_to(CORPUS)) for path in CORPUS.rglob("*") if path.is_file()} - {"manifest.json"}
    listed = [case["file"] for case in CASES if "file" in case]
    assert sorted(listed) == sorted(on_disk)
    assert len(set(listed)) == len(listed)
    generated = {case["generate"] for case in CASES if "generate" in case}
    assert generated == set(GENERATED) | set(SIGNED_VARIANTS)
    for case in CASES:
        assert case["endpoint"] in (*HTTP_ENDPOINTS, "nordgate verify"), case
        if case["endpoint"] != "nordgate verify":
            assert 400 <= case["status"] < 500 and case["code"], case


def test_corpus_size() -> None:
    """The size the issue reports: files committed, cases in all (generated ones included)."""
    by_endpoint = Counter(case["endpoint"] for case in CASES)
    assert sum(1 for case in CASES if "file" in case) >= 120
    assert len(CASES) >= 150
    assert by_endpoint["nordgate verify"] >= 20 and by_endpoint["POST /apprec"] >= 15


@pytest.mark.parametrize("endpoint", HTTP_ENDPOINTS)
def test_every_http_case_gets_its_4xx_outcome_fast(endpoint: str, client: TestClient) -> None:
    path = endpoint.split()[1]
    failures: list[str] = []
    for case in (c for c in CASES if c["endpoint"] == endpoint):
        name, body = _name(case), _body(case)
        content: Any = chunks_of(body) if case.get("generate") in STREAMED else body
        started = time.monotonic()
        response = client.post(path, content=content, headers={"Content-Type": case["contentType"]})
        elapsed = time.monotonic() - started
        code = _outcome_code(response)
        if (response.status_code, code) != (case["status"], case["code"]):
            failures.append(f"{name}: expected {case['status']} {case['code']}, got {response.status_code} {code} "
                            f"{response.text[:300]}")
        if elapsed >= TIME_LIMIT_S:
            failures.append(f"{name}: took {elapsed:.2f} s")
    assert not failures, "\n".join(failures)
    # Still serving, and still storing: the hostile inputs left nothing behind.
    assert client.post("/bookings", content=make_booking(), headers={"Content-Type": "application/xml"}).status_code \
        == 200


@pytest.fixture(scope="module")
def cli() -> typer.Typer:
    return build_app()


def test_every_verify_case_gets_its_exit_code_and_finding(cli: typer.Typer, tmp_path: Path) -> None:
    signed = signed_message()
    runner = CliRunner()
    failures: list[str] = []
    for case in (c for c in CASES if c["endpoint"] == "nordgate verify"):
        name = case["generate"]
        path = tmp_path / name
        path.write_bytes(SIGNED_VARIANTS[name](signed))
        started = time.monotonic()
        result = runner.invoke(cli, ["verify", str(path), "--trust", str(CA_PEM)])
        elapsed = time.monotonic() - started
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            failures.append(f"{name}: raised {result.exception!r}")
            continue
        if result.exit_code != case["exit"]:
            failures.append(f"{name}: exit {result.exit_code}, expected {case['exit']}: {result.output[:300]}")
            continue
        if elapsed >= TIME_LIMIT_S:
            failures.append(f"{name}: took {elapsed:.2f} s")
        if case["exit"] == 2:
            continue  # unreadable: the reason is on stderr, there is no report
        report = json.loads(result.stdout)
        codes = [issue["code"] for issue in report["issues"]]
        if case["exit"] == 1 and case["code"] not in codes:
            failures.append(f"{name}: expected {case['code']} among {codes}")
        if case["exit"] == 0 and (codes or report["valid"] is not True):
            failures.append(f"{name}: expected valid, got {codes}")
        for key, expected in case.get("signed", {}).items():
            actual = (report["certificate"]["organisation_number"] if key == "certificate_organisation_number"
                      else report["signed"][key])
            if actual != expected:
                failures.append(f"{name}: {key} reported as {actual!r}, expected {expected!r}")
    assert not failures, "\n".join(failures)
