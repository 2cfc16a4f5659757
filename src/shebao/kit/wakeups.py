"""Wake-ups: "this changed" from whoever committed the change to the requests waiting for it.

A long poll (`GET /api/v1/payments/{id}?wait=`) waits here instead of asking again every moment. A
wake-up is a hint, never the news: the waiter reads the database again, so a lost wake-up costs only
the rest of its wait. Within a process always; across processes (the worker applies a query's outcome,
another `serve` process the notification) through Redis pub/sub when the process is configured with
Redis (`configure`) and listens (`listen`, the web app's start-up). Without Redis only waiters in the
process that committed are woken.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

CHANNEL = "shebao:wakeups"
PUBLISH_TIMEOUT_SECONDS = 0.5
_log = logging.getLogger(__name__)


class Waiter:
    """One request waiting on its event loop for a key to be woken."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.loop = asyncio.get_running_loop()
        self.woken = asyncio.Event()

    def wake(self) -> None:
        """From any thread."""
        self.loop.call_soon_threadsafe(self.woken.set)

    async def wait(self, seconds: float) -> bool:
        """Answers whether it was woken within `seconds`."""
        try:
            await asyncio.wait_for(self.woken.wait(), seconds)
        except TimeoutError:
            return False
        return True


class Board:
    def __init__(self) -> None:
        self._waiters: dict[str, set[Waiter]] = {}
        self._lock = threading.Lock()
        self._redis_url: str | None = None
        self._publisher: Any = None
        self._publisher_pid = 0
        self._listening = False

    def configure(self, redis_url: str | None) -> None:
        self._redis_url = redis_url

    @contextmanager
    def waiting(self, key: str) -> Iterator[Waiter]:
        """Registered before the caller reads what it waits on, so a change committed in between wakes it."""
        waiter = Waiter(key)
        with self._lock:
            self._waiters.setdefault(key, set()).add(waiter)
        try:
            yield waiter
        finally:
            with self._lock:
                waiting = self._waiters.get(key)
                if waiting is not None:
                    waiting.discard(waiter)
                    if not waiting:
                        del self._waiters[key]

    def wake(self, key: str) -> None:
        """After a commit: this process's waiters, and every other process's through Redis. Never
        raises: what was committed stands whether anyone hears of it."""
        self._wake_here(key)
        if self._redis_url is None:
            return
        try:
            self._redis().publish(CHANNEL, key)
        except Exception as exc:  # a hint lost: waiters elsewhere read again when their wait ends
            _log.warning("wakeup_not_published: %s", type(exc).__name__)

    def listen(self) -> None:
        """Hear other processes' wake-ups (a thread of this process, started once; with Redis only)."""
        with self._lock:
            if self._listening or self._redis_url is None:
                return
            self._listening = True
        threading.Thread(target=self._listen, args=(self._redis_url,), name="wakeups", daemon=True).start()

    def _wake_here(self, key: str) -> None:
        with self._lock:
            waiters = list(self._waiters.get(key, ()))
        for waiter in waiters:
            try:
                waiter.wake()
            except RuntimeError:  # its loop is closed: the request is gone
                pass

    def _redis(self) -> Any:
        pid = os.getpid()
        if self._publisher is None or self._publisher_pid != pid:  # a forked child makes its own
            import redis

            # Published after the settling commit, in the request's thread: a Redis that hangs must not
            # hold the request longer than a moment (the hint is then lost, which costs only a wait).
            publisher = redis.Redis.from_url(
                self._redis_url or "",
                socket_timeout=PUBLISH_TIMEOUT_SECONDS,
                socket_connect_timeout=PUBLISH_TIMEOUT_SECONDS,
            )
            self._publisher, self._publisher_pid = publisher, pid
        return self._publisher

    def _listen(self, url: str) -> None:
        import redis

        while True:
            try:
                pubsub = redis.Redis.from_url(url).pubsub(ignore_subscribe_messages=True)  # type: ignore[no-untyped-call]
                pubsub.subscribe(CHANNEL)
                for message in pubsub.listen():
                    data = message.get("data")
                    if isinstance(data, bytes):
                        self._wake_here(data.decode())
            except Exception as exc:  # Redis gone for a moment: listen again
                _log.warning("wakeups_listener_failed: %s", type(exc).__name__)
                time.sleep(1)


board = Board()
