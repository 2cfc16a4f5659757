"""Channel adapter fixtures: outgoing HTTP routed to the app in-process, a merchant endpoint that
records the notifications the sandbox providers send, the production Alipay adapter with dev keys."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI

from shebao.channels.alipay import AlipayAdapter, alipay_adapter
from shebao.runtime import Runtime
from tests.support.providers import Merchant, routed_to


@pytest.fixture
def routed_http(app: FastAPI) -> Iterator[None]:
    with routed_to(app):
        yield


@pytest.fixture
def merchant(app: FastAPI) -> Merchant:
    return Merchant(app)


@pytest.fixture
def alipay(runtime: Runtime, routed_http: None) -> AlipayAdapter:
    """The production adapter with dev keys, talking to the sandbox gateway in-process."""
    return alipay_adapter(runtime.settings, now=runtime.clock.now)
