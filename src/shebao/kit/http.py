"""Outgoing HTTP (provider gateways, notifications). One place to configure it; tests route it in-process."""

from __future__ import annotations

from collections.abc import Callable

import httpx

_factory: Callable[[], httpx.Client] = lambda: httpx.Client(timeout=httpx.Timeout(10.0, connect=5.0))  # noqa: E731


def client() -> httpx.Client:
    """A client for one exchange with a provider; use it as a context manager."""
    return _factory()


def use(factory: Callable[[], httpx.Client]) -> None:
    """Replace how clients are made (tests hand in one that calls the app in-process)."""
    global _factory
    _factory = factory
