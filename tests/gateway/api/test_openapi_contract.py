"""The API against its own OpenAPI document (schemathesis): no 5xx, and every answer as documented.

Every operation of ``/openapi.json`` is called in-process (ASGI, no network) with generated valid
and invalid inputs: a bounded, derandomized number of examples, no deadline. Each response must not
be a server error and must conform to the document (status code, content type, headers, body
schema). A 5xx found here is a bug in a handler; a mismatch a wrong route declaration.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from gateway.api import create_app
from gateway.bootstrap.runtime import build_runtime
from gateway.config.settings import load_settings
from tests.auth_helpers import DEFAULT_CLIENT, api_key_settings

pytestmark = pytest.mark.slow

CONFIG = {"seed": 20261201, "generation": {"max-examples": 20, "deterministic": True}}


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[schemathesis.BaseSchema]:
    folder: Path = tmp_path_factory.mktemp("contract")
    # No delivery worker: the contract is about answers, and a background thread would outlive the test.
    # SQLite on purpose in both suite runs: the contract is the HTTP surface, and a module-scoped
    # database would be emptied between tests by the PostgreSQL run's per-test clean-up.
    gateway_settings = load_settings(database_url=f"sqlite:///{folder / 'gateway.db'}",
                                     public_base_url="http://localhost/fhir", outbox_worker=False,
                                     **api_key_settings())
    runtime = build_runtime(gateway_settings)
    # The caller's runtime: the app's lifespan (which schemathesis keeps running) never closes it.
    app = create_app(gateway_settings, runtime=runtime)
    try:
        yield schemathesis.openapi.from_asgi("/openapi.json", app, config=schemathesis.Config.from_dict(CONFIG),
                                             headers=DEFAULT_CLIENT.headers)
    finally:
        runtime.close()


def test_every_operation_answers_as_documented(api_schema: schemathesis.BaseSchema) -> None:
    # One test over all operations rather than schemathesis' pytest parametrization: its lazy
    # (fixture-based) loader does not run on pytest 9, and an eager one would build the app at import.
    # Every operation runs; all breaches are reported together.
    failures: list[str] = []
    operations = 0
    for result in api_schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(max_examples=20, derandomize=True, deadline=None, database=None, print_blob=False,
                  suppress_health_check=list(HealthCheck))
        def check(case: schemathesis.Case) -> None:
            # Generated "valid" data cannot know the gateway's content rules (a real crm:scheduling
            # message, a known map id): a 4xx OperationOutcome for it is a documented answer.
            case.call_and_validate(headers=DEFAULT_CLIENT.headers, excluded_checks=[positive_data_acceptance])

        try:
            check()
        except (Exception, BaseExceptionGroup) as exc:  # collect every operation's breaches, then fail once
            failures.append(f"{operation.label}: {exc}")
    assert operations >= 10
    assert not failures, "\n\n".join(failures)
