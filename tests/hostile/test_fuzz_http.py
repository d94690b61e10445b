"""The same fuzzing through the HTTP layer, with fewer examples: every answer of the real app to a
mutated message is a success or a 4xx OperationOutcome with a code, never a 5xx."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.gateway.settlement.service.helpers import apprec

from .conftest import fuzz_examples
from .generators import MSG_ID
from .strategies import json_documents, mutated_json, mutated_xml, xml_samples

XML_MESSAGES = xml_samples("crm-scheduling") + xml_samples("elvis")
EVENTS = json_documents("group-appointments")
# The enterprise-signed accounting types: this app has no smart card, and a batch that needs one is
# answered with the documented 422 CERT_KIND_MISMATCH (its enterprise certificate is the wrong kind).
BATCHES = json_documents("settlements", "kommunalt-fellesoppgjor-*.json")
APPRECS = [apprec(MSG_ID), apprec(MSG_ID, 2, ("X12",))]
#: Examples per endpoint in CI.
EXAMPLES = {"bookings-xml": 40, "bookings-json": 30, "settlements": 30, "apprec": 30, "preview": 30,
            "preview-session": 30}


def _settings(target: str) -> settings:
    return settings(max_examples=fuzz_examples(EXAMPLES[target]), deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                           HealthCheck.data_too_large])


def _check(client: TestClient, path: str, body: bytes, content_type: str) -> None:
    response = client.post(path, content=body, headers={"Content-Type": content_type})
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        outcome = response.json()
        assert outcome["resourceType"] == "OperationOutcome"
        assert outcome["issue"][0]["details"]["coding"][0]["code"]


@_settings("bookings-xml")
@given(body=mutated_xml(XML_MESSAGES))
def test_mutated_xml_pushes_never_get_a_5xx(client: TestClient, body: bytes) -> None:
    _check(client, "/bookings", body, "application/xml")


@_settings("bookings-json")
@given(body=mutated_json(EVENTS))
def test_mutated_group_events_never_get_a_5xx(client: TestClient, body: bytes) -> None:
    _check(client, "/bookings", body, "application/json")


@_settings("settlements")
@given(body=mutated_json(BATCHES))
def test_mutated_settlement_batches_never_get_a_5xx(client: TestClient, body: bytes) -> None:
    _check(client, "/settlements", body, "application/json")


@_settings("apprec")
@given(body=mutated_xml(APPRECS))
def test_mutated_apprecs_never_get_a_5xx(client: TestClient, body: bytes) -> None:
    _check(client, "/apprec", body, "application/xml")


@_settings("preview")
@given(body=mutated_xml(XML_MESSAGES))
def test_mutated_previews_never_get_a_5xx(client: TestClient, body: bytes) -> None:
    _check(client, "/preview", body, "application/xml")


@_settings("preview-session")
@given(body=mutated_xml(XML_MESSAGES), given_messages=st.lists(mutated_xml(XML_MESSAGES), max_size=2))
def test_mutated_preview_sessions_never_get_a_5xx(client: TestClient, body: bytes, given_messages: list[bytes]) -> None:
    session = {"message": body.decode("utf-8", "replace"),
               "given": [message.decode("utf-8", "replace") for message in given_messages]}
    _check(client, "/preview/session", json.dumps(session).encode(), "application/json")
