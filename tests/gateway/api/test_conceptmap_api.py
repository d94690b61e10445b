"""GET /fhir/ConceptMap (search, read) and $translate (GET, POST), R4 and R5, validated with fhir.resources."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from fhir.resources.bundle import Bundle as BundleR5
from fhir.resources.capabilitystatement import CapabilityStatement as CapabilityStatementR5
from fhir.resources.conceptmap import ConceptMap as ConceptMapR5
from fhir.resources.parameters import Parameters as ParametersR5
from fhir.resources.R4B.bundle import Bundle as BundleR4
from fhir.resources.R4B.capabilitystatement import CapabilityStatement as CapabilityStatementR4
from fhir.resources.R4B.conceptmap import ConceptMap as ConceptMapR4
from fhir.resources.R4B.parameters import Parameters as ParametersR4

from gateway.fhir.common import FhirVersion
from gateway.fhir.conceptmap import render_concept_map
from tests.gateway.api.test_bookings_api import outcome_code

R5 = {"Accept": "application/fhir+json; fhirVersion=5.0"}
TIME_TYPE = "https://nordgate.dev/fhir/CodeSystem/crm-scheduling-time-type"
TIME_TYPE_MAP = "https://nordgate.dev/fhir/ConceptMap/crm-time-type"
V2_0276 = "http://terminology.hl7.org/CodeSystem/v2-0276"


def parameters(response: Any, version: str = "4.0") -> dict[str, Any]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == f"application/fhir+json; fhirVersion={version}"
    body: dict[str, Any] = response.json()
    (ParametersR4 if version == "4.0" else ParametersR5).model_validate(body)
    return body


def matches(body: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for parameter in body["parameter"]:
        if parameter["name"] == "match":
            parts = {part["name"]: part for part in parameter["part"]}
            found.append({name: next(value for key, value in part.items() if key.startswith("value"))
                          for name, part in parts.items()})
    return found


def value(body: dict[str, Any], name: str) -> Any:
    parameter = next(p for p in body["parameter"] if p["name"] == name)
    return next(v for k, v in parameter.items() if k.startswith("value"))


def test_search_answers_every_map_as_a_valid_searchset(client: TestClient) -> None:
    response = client.get("/fhir/ConceptMap")
    assert response.status_code == 200
    bundle = response.json()
    BundleR4.model_validate(bundle)
    assert bundle["total"] == len(bundle["entry"]) == 7
    for entry in bundle["entry"]:
        ConceptMapR4.model_validate(entry["resource"])
        assert entry["fullUrl"] == f"http://testserver/fhir/ConceptMap/{entry['resource']['id']}"


def test_search_by_url_and_name(client: TestClient) -> None:
    by_url = client.get("/fhir/ConceptMap", params={"url": TIME_TYPE_MAP}).json()
    assert [entry["resource"]["id"] for entry in by_url["entry"]] == ["crm-time-type"]
    by_name = client.get("/fhir/ConceptMap", params={"name": "elvis"}).json()  # string search: starts with, any case
    assert sorted(entry["resource"]["id"] for entry in by_name["entry"]) == ["elvis-cancelled-by", "elvis-visit-type"]
    paged = client.get("/fhir/ConceptMap", params={"_count": "2"}).json()
    assert len(paged["entry"]) == 2 and any(link["relation"] == "next" for link in paged["link"])


@pytest.mark.parametrize("params", [{"title": "x"}, {"url:exact": "x"}, {"_count": "many"}])
def test_unknown_search_parameters_are_refused(client: TestClient, params: dict[str, str]) -> None:
    response = client.get("/fhir/ConceptMap", params=params)
    assert response.status_code == 400 and outcome_code(response) == "SEARCH_PARAMETER_INVALID"


def test_r5_search_and_read_convert_equivalence_to_relationship(client: TestClient) -> None:
    BundleR5.model_validate(client.get("/fhir/ConceptMap", headers=R5).json())
    response = client.get("/fhir/ConceptMap/crm-time-type", headers=R5)
    assert response.headers["content-type"] == "application/fhir+json; fhirVersion=5.0"
    concept_map = response.json()
    ConceptMapR5.model_validate(concept_map)
    targets = {element["code"]: element["target"][0] for element in concept_map["group"][0]["element"]}
    assert targets["ATB"]["relationship"] == "equivalent" and "equivalence" not in targets["ATB"]
    assert targets["NYB"]["relationship"] == "source-is-narrower-than-target"  # R4 "wider"


def test_read_r4_is_the_shipped_file_and_unknown_ids_are_404(client: TestClient) -> None:
    concept_map = client.get("/fhir/ConceptMap/crm-care-type").json()
    ConceptMapR4.model_validate(concept_map)
    assert concept_map["url"] == "https://nordgate.dev/fhir/ConceptMap/crm-care-type"
    response = client.get("/fhir/ConceptMap/no-such-map")
    assert response.status_code == 404 and outcome_code(response) == "RESOURCE_NOT_FOUND"


def test_r5_rendering_renames_scopes_and_lists_the_identifier() -> None:
    r4 = {"resourceType": "ConceptMap", "id": "m", "url": "http://example.org/m", "status": "active",
          "identifier": {"value": "1"}, "sourceUri": "http://example.org/vs-a", "targetUri": "http://example.org/vs-b",
          "group": [{"source": "http://example.org/a", "target": "http://example.org/b",
                     "element": [{"code": "x", "target": [{"code": "y", "equivalence": "narrower",
                                                           "comment": "narrower needs a comment"}]}],
                     "unmapped": {"mode": "provided"}}]}
    ConceptMapR4.model_validate(r4)
    r5 = render_concept_map(r4, FhirVersion.R5)
    ConceptMapR5.model_validate(r5)
    assert r5["sourceScopeUri"] == "http://example.org/vs-a" and r5["targetScopeUri"] == "http://example.org/vs-b"
    assert "sourceUri" not in r5 and r5["identifier"] == [{"value": "1"}]
    assert r5["group"][0]["element"][0]["target"][0]["relationship"] == "source-is-broader-than-target"
    assert r5["group"][0]["unmapped"] == {"mode": "use-source-code"}
    assert r4["group"][0]["element"][0]["target"][0]["equivalence"] == "narrower"  # the loaded map is untouched


def test_translate_by_url_r4(client: TestClient) -> None:
    body = parameters(client.get("/fhir/ConceptMap/$translate",
                                 params={"url": TIME_TYPE_MAP, "system": TIME_TYPE, "code": "ATB"}))
    assert value(body, "result") is True
    assert matches(body) == [{"equivalence": "equivalent", "source": TIME_TYPE_MAP, "concept": {
        "system": V2_0276, "code": "FOLLOWUP", "display": "A follow up visit from a previous appointment"}}]


def test_translate_without_url_asks_every_map_of_the_source_system(client: TestClient) -> None:
    body = parameters(client.get("/fhir/ConceptMap/$translate", params={"coding": f"{TIME_TYPE}|TELE"}))
    assert sorted(match["concept"]["code"] for match in matches(body)) == ["ROUTINE", "VR"]
    narrowed = parameters(client.get("/fhir/ConceptMap/$translate", params={
        "coding": f"{TIME_TYPE}|TELE", "targetsystem": "http://terminology.hl7.org/CodeSystem/v3-ActCode"}))
    assert [match["concept"]["code"] for match in matches(narrowed)] == ["VR"]


def test_translate_on_one_map_in_r5(client: TestClient) -> None:
    body = parameters(client.get("/fhir/ConceptMap/crm-time-type/$translate",
                                 params={"system": TIME_TYPE, "code": "NYB"}, headers=R5), "5.0")
    assert matches(body) == [{"relationship": "source-is-narrower-than-target", "originMap": TIME_TYPE_MAP,
                              "concept": {"system": V2_0276, "code": "ROUTINE",
                                          "display": "Routine appointment - default if not valued"}}]


def test_no_match_answers_result_false_with_a_message(client: TestClient) -> None:
    body = parameters(client.get("/fhir/ConceptMap/crm-time-type/$translate",
                                 params={"system": TIME_TYPE, "code": "HEMB"}))
    assert value(body, "result") is False and matches(body) == []
    assert f"{TIME_TYPE}|HEMB" in value(body, "message")


@pytest.mark.parametrize("version,media", [("4.0", "application/fhir+json"), ("5.0", "application/json")])
def test_translate_post_with_a_parameters_body(client: TestClient, version: str, media: str) -> None:
    request = {"resourceType": "Parameters", "parameter": [
        {"name": "url", "valueUri": "https://nordgate.dev/fhir/ConceptMap/cancellation-origin"},
        {"name": "sourceCoding" if version == "5.0" else "coding",
         "valueCoding": {"system": "https://nordgate.dev/fhir/CodeSystem/message-source", "code": "1177"}}]}
    (ParametersR4 if version == "4.0" else ParametersR5).model_validate(request)
    response = client.post("/fhir/ConceptMap/$translate", json=request,
                           headers={"Content-Type": media, "Accept": f"application/fhir+json; fhirVersion={version}"})
    body = parameters(response, version)
    assert [match["concept"]["code"] for match in matches(body)] == ["pat"]
    posted = client.post("/fhir/ConceptMap/cancellation-origin/$translate", json={
        "resourceType": "Parameters", "parameter": [
            {"name": "system", "valueUri": "https://nordgate.dev/fhir/CodeSystem/message-source"},
            {"name": "code", "valueCode": "pas"}]}, headers={"Content-Type": "application/fhir+json"})
    assert [match["concept"]["code"] for match in matches(parameters(posted))] == ["prov"]


@pytest.mark.parametrize("params,status,code", [
    ({"code": "ATB"}, 400, "TRANSLATE_PARAMETER_INVALID"),  # system is needed with code
    ({}, 400, "TRANSLATE_PARAMETER_INVALID"),
    ({"system": TIME_TYPE, "code": "ATB", "reverse": "true"}, 400, "TRANSLATE_PARAMETER_INVALID"),
    ({"system": TIME_TYPE, "code": "ATB", "bogus": "1"}, 400, "TRANSLATE_PARAMETER_INVALID"),
    ({"system": TIME_TYPE, "code": "ATB", "sourceCode": "NYB"}, 400, "TRANSLATE_PARAMETER_INVALID"),  # code twice
    ({"url": "http://example.org/none", "system": TIME_TYPE, "code": "ATB"}, 404, "CONCEPT_MAP_NOT_FOUND"),
])
def test_translate_refusals_are_outcomes(client: TestClient, params: dict[str, str], status: int, code: str) -> None:
    response = client.get("/fhir/ConceptMap/$translate", params=params)
    assert response.status_code == status and outcome_code(response) == code


def test_translate_post_refusals(client: TestClient) -> None:
    url = "/fhir/ConceptMap/$translate"
    fhir = {"Content-Type": "application/fhir+json"}
    assert client.post(url, content=b"<Parameters/>", headers={"Content-Type": "application/xml"}).status_code == 415
    assert outcome_code(client.post(url, content=b"{", headers=fhir)) == "TRANSLATE_JSON_MALFORMED"
    assert outcome_code(client.post(url, json={"resourceType": "Bundle"}, headers=fhir)) == "TRANSLATE_BODY_INVALID"
    bad_coding = {"resourceType": "Parameters", "parameter": [{"name": "coding", "valueCoding": {"code": "x"}}]}
    assert outcome_code(client.post(url, json=bad_coding, headers=fhir)) == "TRANSLATE_PARAMETER_INVALID"
    with_map = {"resourceType": "Parameters", "parameter": [{"name": "conceptMap", "resource": {}}]}
    assert outcome_code(client.post(url, json=with_map, headers=fhir)) == "TRANSLATE_PARAMETER_INVALID"
    missing = client.post("/fhir/ConceptMap/no-such-map/$translate", headers=fhir, json={
        "resourceType": "Parameters", "parameter": [{"name": "coding", "valueCoding": {"system": "a", "code": "b"}}]})
    assert missing.status_code == 404


@pytest.mark.parametrize("accept", [None, "application/fhir+json; fhirVersion=5.0"])
def test_capability_statement_declares_concept_map_and_translate(client: TestClient, accept: str | None) -> None:
    statement = client.get("/fhir/metadata", headers={"Accept": accept} if accept else {}).json()
    (CapabilityStatementR4 if accept is None else CapabilityStatementR5).model_validate(statement)
    served = {resource["type"]: resource for resource in statement["rest"][0]["resource"]}
    concept_map = served["ConceptMap"]
    assert {interaction["code"] for interaction in concept_map["interaction"]} == {"read", "search-type"}
    assert {param["name"] for param in concept_map["searchParam"]} == {"url", "name"}
    assert concept_map["operation"] == [{
        "name": "translate", "definition": "http://hl7.org/fhir/OperationDefinition/ConceptMap-translate",
        "documentation": concept_map["operation"][0]["documentation"]}]
    # every advertised search parameter is accepted
    for param in concept_map["searchParam"]:
        assert client.get("/fhir/ConceptMap", params={param["name"]: "x"}).status_code == 200
