"""Property-based fuzzing of every inbound parser and of the settlement input: whatever the bytes,
the answer is a result or a :class:`~gateway.primitives.errors.NordgateError` with a 4xx status and a code,
never another exception, never a 5xx.

Deterministic and bounded for CI (``derandomize=True``, fixed example counts, a few seconds per
target); ``NORDGATE_FUZZ_EXAMPLES=N`` runs N times as many examples for a deeper local run.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.outbound.apprec import parse_apprec
from adapters.outbound.signing.verify import verify_msghead
from gateway.bootstrap.inbound import inbound
from gateway.settlement.batch import parse_batch
from tests.gateway.settlement.service.helpers import anchors, apprec

from .conftest import fuzz_examples
from .generators import MSG_ID, signed_message
from .strategies import json_documents, json_values, mutated_json, mutated_xml, refused_or_ok, xml_samples

parse_message = inbound().registry.parse

CRM_SAMPLES = xml_samples("crm-scheduling")
ELVIS_SAMPLES = xml_samples("elvis")
EVENTS = json_documents("group-appointments")
BATCHES = json_documents("settlements")
APPRECS = [apprec(MSG_ID), apprec(MSG_ID, 2, ("X12", "X13")), apprec(MSG_ID, 3, ("E1",))]
SIGNED = signed_message()
TRUST = anchors()

#: Examples per target in CI; the numbers the issue reports.
EXAMPLES = {"crm-scheduling": 400, "elvis": 300, "no-group-events": 300, "no-group-random-json": 200,
            "settlement-batch": 300, "apprec": 300, "verify": 150}


def _settings(target: str) -> settings:
    return settings(max_examples=fuzz_examples(EXAMPLES[target]), deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _source(data: st.DataObject) -> str:
    return str(data.draw(st.sampled_from(["pas", "1177"])))


@_settings("crm-scheduling")
@given(body=mutated_xml(CRM_SAMPLES), data=st.data())
def test_crm_scheduling_mutants_are_parsed_or_refused_with_a_4xx(body: bytes, data: st.DataObject) -> None:
    refused_or_ok(lambda: parse_message(body, source=_source(data)))


@_settings("elvis")
@given(body=mutated_xml(ELVIS_SAMPLES))
def test_elvis_mutants_are_parsed_or_refused_with_a_4xx(body: bytes) -> None:
    refused_or_ok(lambda: parse_message(body, source="pas"))


@_settings("no-group-events")
@given(body=mutated_json(EVENTS))
def test_group_event_mutants_are_parsed_or_refused_with_a_4xx(body: bytes) -> None:
    refused_or_ok(lambda: parse_message(body, source="pas"))


@_settings("no-group-random-json")
@given(document=json_values, event=st.sampled_from(sorted({str(e["event"]) for e in EVENTS})))
def test_random_json_claiming_to_be_an_event_is_refused_with_a_4xx(document: Any, event: str) -> None:
    import json  # noqa: PLC0415 - local to keep the module's imports about the targets

    claimed = {"event": event, "groupAppointmentId": document} if not isinstance(document, dict) \
        else {"event": event, **document}
    refused_or_ok(lambda: parse_message(json.dumps(claimed).encode("utf-8", "surrogatepass"), source="pas"))


@_settings("settlement-batch")
@given(body=mutated_json(BATCHES))
def test_settlement_batch_mutants_are_parsed_or_refused_with_a_4xx(body: bytes) -> None:
    refused_or_ok(lambda: parse_batch(body))


@_settings("apprec")
@given(body=mutated_xml(APPRECS))
def test_apprec_mutants_are_parsed_or_refused_with_a_4xx(body: bytes) -> None:
    refused_or_ok(lambda: parse_apprec(body))


@_settings("verify")
@given(body=mutated_xml([SIGNED]))
def test_verify_reports_or_refuses_and_a_valid_report_names_what_was_signed(body: bytes) -> None:
    reports: list[Any] = []
    refused_or_ok(lambda: reports.append(verify_msghead(body, trust_anchors=TRUST)))
    if reports and reports[0].valid:
        # Only a mutation C14N cannot see (a comment) leaves the signature valid; the report must
        # still show the MsgId that was signed.
        assert reports[0].signed.msg_id == MSG_ID
