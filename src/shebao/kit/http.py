"""Outgoing HTTP (provider gateways, notifications). One place to configure it; tests route it in-process.

Clients live as long as the process: a new `httpx.Client` loads the CA bundle and opens new TLS
connections, which cost more than the provider call itself (docs/performance.md). One pooled client per
name (a provider, a sandbox notifier) and process; a forked child makes its own, never its parent's.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import httpx

TIMEOUT = httpx.Timeout(10.0, connect=5.0)
LIMITS = httpx.Limits(max_connections=50, max_keepalive_connections=20, keepalive_expiry=30.0)

_factory: Callable[[], httpx.Client] | None = None
_clients: dict[str, httpx.Client] = {}
_owner_pid = os.getpid()
_lock = threading.Lock()


def _shared(name: str) -> httpx.Client:
    global _owner_pid
    with _lock:
        if _owner_pid != os.getpid():
            # Forked: the parent's sockets are not ours to use or to close.
            _clients.clear()
            _owner_pid = os.getpid()
        found = _clients.get(name)
        if found is None or found.is_closed:
            found = _clients[name] = httpx.Client(timeout=TIMEOUT, limits=LIMITS)
        return found


@contextmanager
def client(name: str = "default") -> Iterator[httpx.Client]:
    """The process's client for `name`; the `with` block borrows it and leaves it open for the next call."""
    if _factory is not None:
        with _factory() as made:
            yield made
        return
    yield _shared(name)


def close() -> None:
    """Close every pooled client (on shutdown)."""
    with _lock:
        clients = list(_clients.values())
        _clients.clear()
    for found in clients:
        found.close()


def use(factory: Callable[[], httpx.Client] | None) -> Callable[[], httpx.Client] | None:
    """Make each exchange's client with `factory` (tests hand in one that calls the app in-process);
    `None` goes back to the pooled clients. Returns the factory it replaced."""
    global _factory
    previous, _factory = _factory, factory
    return previous
