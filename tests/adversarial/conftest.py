"""Every adversarial suite ends with the plaintext scan of what it left behind (issue 19, suite 4)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from shebao.runtime import Runtime
from tests.support.plaintext import leaks


@pytest.fixture(autouse=True)
def no_plaintext_left(request: pytest.FixtureRequest, runtime: Runtime) -> Iterator[None]:
    """After the test, before its database is emptied: the database, the data dir and the logs the test
    produced (the service logs to stderr, which pytest captured) hold none of the personal data used."""
    yield
    logs = "".join(content for _when, _key, content in request.node._report_sections)
    found = leaks(runtime, logs)
    assert found == [], f"personal data in plain text: {found}"
