"""Schemathesis over every operation of /openapi.json, logged out and as a payer (issue 19, suite 1), and
over the console's (/api/v1/console/*) as an operator logged in with password and TOTP.

Positive and negative data are generated from the OpenAPI document and sent to the app in-process;
every answer must be a non-5xx that matches what the document declares for it. CI runs a few
examples per operation and mode (seeded, so a failure reproduces); set SHEBAO_FUZZ_EXAMPLES for a
longer run, e.g. `SHEBAO_FUZZ_EXAMPLES=200 ./dev test tests/adversarial/test_openapi_fuzz.py`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.support.console import operator_bearer, operator_logged_in
from tests.support.people import bearer_for

pytestmark = pytest.mark.adversarial

EXAMPLES = int(os.environ.get("SHEBAO_FUZZ_EXAMPLES", "3"))
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
# What the service must never do, whatever it is sent.
HARD_CHECKS = [not_a_server_error, response_schema_conformance]
# Server errors found and reported, not yet fixed on main: listed here so the suite stays green meanwhile
# and fails (as a strict xfail would) the moment one is fixed, so its line is removed with the fix.
KNOWN_SERVER_ERRORS: dict[str, set[str]] = {
    "payer": set(),
    "logged_out": set(),
    "operator": set(),
}
# The operator's pass fuzzes the console's operations only (the others refuse an operator's token).
PREFIXES = {"payer": "/", "logged_out": "/", "operator": "/api/v1/console/"}
# What the document must declare: every status code and media type the service answers.
DOCUMENTED_CHECKS = [status_code_conformance, content_type_conformance]


def _negatable(document: dict[str, Any], method: str, path: str) -> bool:
    """Whether negative data exists: a body, or a parameter more constrained than a free string."""
    operation = document["paths"][path][method]
    if "requestBody" in operation:
        return True
    return any(
        parameter["in"] != "path" or parameter.get("schema", {}) not in ({"type": "string"}, {})
        for parameter in operation.get("parameters", [])
    )


def _operation_test(
    operation: Any, mode: GenerationMode, caller: Callable[[], dict[str, str]], *found: dict[str, str]
) -> Callable[[], None]:
    """A seeded Hypothesis test of one operation; records the first failure per check in `found`."""
    label = f"{operation.method.upper()} {operation.path}"

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(mode))
    def run(case: schemathesis.Case) -> None:
        headers = caller()
        try:
            response = case.call(headers=headers)
        except Exception as error:  # the app raised: its answer was a 500
            found[0].setdefault(f"{label} [not_a_server_error]", f"500: {error!r}"[:600])
            return
        for failures, checks in zip(found, (HARD_CHECKS, DOCUMENTED_CHECKS), strict=True):
            for check in checks:
                try:
                    case.validate_response(response, checks=[check], headers=headers)
                except (Failure, FailureGroup) as failure:
                    key = f"{label} [{check.__name__}]"
                    failures.setdefault(key, f"{response.status_code}: {str(failure)[:600]}")

    return run  # type: ignore[no-any-return]


def _fuzz(app: Any, caller: Callable[[], dict[str, str]], prefix: str) -> dict[str, dict[str, str]]:
    """Every operation under `prefix` in both modes; answers the first failure per operation and check,
    by check kind."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    document = app.openapi()
    failures: dict[str, dict[str, str]] = {"hard": {}, "documented": {}}
    operations = [result.ok() for result in schema.get_all_operations()]
    operations = [operation for operation in operations if operation.path.startswith(prefix)]
    assert len(operations) > (60 if prefix == "/" else 30)
    for operation in operations:
        for mode in MODES:
            if mode is GenerationMode.NEGATIVE and not _negatable(document, operation.method, operation.path):
                continue

            run = _operation_test(operation, mode, caller, failures["hard"], failures["documented"])
            try:
                run()
            except Unsatisfiable:
                continue  # every generated value was valid after all (e.g. only free-string parameters)
    return failures


# One fuzzing pass per kind of caller serves both tests below (CI runs the suite in one process).
_RESULTS: dict[str, dict[str, dict[str, str]]] = {}


def _results(kind: str, app: Any, caller: Callable[[], dict[str, str]]) -> dict[str, dict[str, str]]:
    if kind not in _RESULTS:
        _RESULTS[kind] = _fuzz(app, caller, PREFIXES[kind])
    return _RESULTS[kind]


@pytest.fixture(params=["logged_out", "payer", "operator"])
def caller(  # type: ignore[no-untyped-def]
    request: pytest.FixtureRequest, runtime, world, client
) -> tuple[str, Callable[[], dict[str, str]]]:
    """The headers of each call: none, a live payer session, or a live operator session (the fuzzing
    logs out, changes the password and moves the clock: each call gets a session of its own)."""
    if request.param == "payer":
        return request.param, lambda: bearer_for(runtime, world.zhang)
    if request.param == "operator":
        operator_id = operator_logged_in(client, runtime)
        return request.param, lambda: operator_bearer(runtime, operator_id)
    return request.param, dict


def test_no_operation_answers_a_server_error_or_breaks_its_schema(app, caller) -> None:  # type: ignore[no-untyped-def]
    kind, headers = caller
    found = _results(kind, app, headers)["hard"]
    assert {key: found[key] for key in found.keys() - KNOWN_SERVER_ERRORS[kind]} == {}
    assert found.keys() >= KNOWN_SERVER_ERRORS[kind], "fixed: remove it from KNOWN_SERVER_ERRORS"


def test_every_status_code_and_media_type_answered_is_documented(app, caller) -> None:  # type: ignore[no-untyped-def]
    kind, headers = caller
    assert _results(kind, app, headers)["documented"] == {}
