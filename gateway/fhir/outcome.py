"""The FHIR OperationOutcome of an error: its code as an IssueType per HTTP status, our stable error
code as a coding, and a location per finding. The API answers it; ``nordgate map`` prints it."""

from __future__ import annotations

from typing import Any

from gateway.fhir.canonical import code_system
from gateway.primitives.errors import Issue, NordgateError

__all__ = ["operation_outcome", "outcome_of"]


# FHIR IssueType per HTTP status: what a FHIR client expects to see for each class of error.
_ISSUE_TYPE = {400: "invalid", 401: "login", 403: "forbidden", 404: "not-found", 405: "not-supported",
               406: "not-supported", 409: "conflict", 413: "too-costly", 415: "not-supported",
               422: "business-rule", 503: "transient"}


def _issue(status: int, code: str, message: str, location: str | None, severity: str = "error") -> dict[str, Any]:
    issue: dict[str, Any] = {
        "severity": severity,
        "code": _ISSUE_TYPE.get(status, "exception"),
        "details": {"coding": [{"system": code_system("error-code"), "code": code}], "text": message},
    }
    if location:
        issue["location"] = [location]
    return issue


def operation_outcome(status: int, code: str, message: str, *, location: str | None = None,
                      issues: list[Issue] | None = None) -> dict[str, Any]:
    entries = [_issue(status, code, message, location)]
    entries += [_issue(status, item.code, item.message, item.location) for item in issues or []]
    return {"resourceType": "OperationOutcome", "issue": entries}


def outcome_of(error: NordgateError) -> dict[str, Any]:
    return operation_outcome(error.http_status, error.code, error.message, location=error.location,
                             issues=error.issues)
