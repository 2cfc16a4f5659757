"""`GET /api/v1/payments/{id}?wait=`: the result answered once the outcome is applied, not asked again."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from shebao.kit.wakeups import Board
from tests.support.payments import declare, open_payment


def _pending(client, world) -> dict[str, str]:  # type: ignore[no-untyped-def]
    opened = open_payment(client, world.zhang_headers, declare(client, world.zhang_headers)["id"])
    assert opened.status_code == 201, opened.text
    body: dict[str, str] = opened.json()
    assert body["status"] == "pending"
    return body


def test_a_waiting_request_answers_once_the_notification_is_applied(client, world, routed) -> None:  # type: ignore[no-untyped-def]
    payment = _pending(client, world)

    def ask() -> tuple[float, dict[str, str]]:
        started = time.monotonic()
        answer = client.get(
            f"/api/v1/payments/{payment['id']}", params={"wait": 8}, headers=world.zhang_headers
        )
        assert answer.status_code == 200, answer.text
        return time.monotonic() - started, answer.json()

    with ThreadPoolExecutor(max_workers=1) as pool:
        asked = pool.submit(ask)
        time.sleep(0.5)  # the request is waiting by now
        assert not asked.done()
        paid = client.post(f"/sandbox/alipay/trades/{payment['out_trade_no']}/pay")
        assert paid.status_code == 200, paid.text
        took, shown = asked.result(timeout=10)
    assert shown["status"] == "succeeded" and shown["eticket_no"]
    assert 0.5 <= took < 5  # woken by the settlement's commit, not by the end of its wait


def test_a_wait_ends_with_the_payment_as_it_stands(client, world, routed) -> None:  # type: ignore[no-untyped-def]
    payment = _pending(client, world)
    started = time.monotonic()
    answer = client.get(
        f"/api/v1/payments/{payment['id']}", params={"wait": 0.3}, headers=world.zhang_headers
    )
    assert answer.status_code == 200 and answer.json()["status"] == "pending"
    assert time.monotonic() - started >= 0.3
    client.post(f"/sandbox/alipay/trades/{payment['out_trade_no']}/pay")
    started = time.monotonic()
    settled = client.get(f"/api/v1/payments/{payment['id']}", params={"wait": 8}, headers=world.zhang_headers)
    assert settled.json()["status"] == "succeeded" and time.monotonic() - started < 2  # known: no wait


def test_waiting_is_bounded_and_only_for_what_the_payer_may_see(client, world, routed) -> None:  # type: ignore[no-untyped-def]
    payment = _pending(client, world)
    path = f"/api/v1/payments/{payment['id']}"
    too_long = client.get(path, params={"wait": 11}, headers=world.zhang_headers)
    assert too_long.status_code == 422 and too_long.json()["error"]["code"] == "validation_failed"
    negative = client.get(path, params={"wait": -1}, headers=world.zhang_headers)
    assert negative.status_code == 422
    started = time.monotonic()
    stranger = client.get(path, params={"wait": 5}, headers=world.li_headers)
    assert stranger.status_code == 404 and time.monotonic() - started < 2
    assert client.get(path, params={"wait": 5}).status_code == 401


def _redis_url() -> str:
    return os.environ.get("SHEBAO_TEST_REDIS_URL", "redis://127.0.0.1:6379/14")


def _redis_up(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=0.5).ping())
    except redis.RedisError:
        return False


def _waiting(board: Board, key: str) -> tuple[threading.Thread, list[bool]]:
    """A waiter on `key` in a thread of its own (its own event loop), already waiting when this answers;
    the list gets whether it was woken within 5 s."""
    woken: list[bool] = []
    ready = threading.Event()

    async def wait() -> None:
        with board.waiting(key) as waiter:
            ready.set()
            woken.append(await waiter.wait(5))

    thread = threading.Thread(target=lambda: asyncio.run(wait()))
    thread.start()
    ready.wait(5)
    return thread, woken


def test_a_wake_up_reaches_waiters_of_another_process_through_redis() -> None:
    url = _redis_url()
    if not _redis_up(url):
        pytest.skip(f"no Redis at {url}: wake-ups across processes travel through Redis pub/sub")
    here, elsewhere = Board(), Board()  # two processes' boards
    here.configure(url)
    elsewhere.configure(url)
    here.listen()
    thread, woken = _waiting(here, "payment:x")
    deadline = time.monotonic() + 5
    while thread.is_alive() and time.monotonic() < deadline:  # the listener subscribes in its own time
        elsewhere.wake("payment:x")
        thread.join(0.2)
    assert woken == [True]


def test_a_wake_up_with_redis_unreachable_still_wakes_this_process_and_never_raises() -> None:
    board = Board()
    board.configure("redis://127.0.0.1:1/0")  # nothing listens there: the publish fails at once
    thread, woken = _waiting(board, "payment:y")
    board.wake("payment:y")  # the settling commit stands whether Redis hears of it
    thread.join(5)
    assert woken == [True]
