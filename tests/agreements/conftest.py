from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI

from tests.support.providers import routed_to


@pytest.fixture
def routed(app: FastAPI) -> Iterator[None]:
    """The bank adapter's messages reach the sandbox bank of the app under test, in-process."""
    with routed_to(app):
        yield
