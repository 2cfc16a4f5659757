"""Real parallel connections (PostgreSQL): two workers on one request, two identical requests at once."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from shebao.certificates.generation import generate
from shebao.certificates.models import Certificate, CertificateFile
from tests.support.certificates import left_generating, request
from tests.support.payments import paid_by_alipay

pytestmark = pytest.mark.postgres_only


def _together(*calls: Callable[[], Any]) -> list[Any]:
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int, call: Callable[[], Any]) -> None:
        barrier.wait()
        results[index] = call()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def test_two_workers_at_once_make_one_certificate(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    paid_by_alipay(client, world.zhang_headers)
    request_id = left_generating(runtime, world.zhang, claimed_ago=None)
    outcomes = _together(lambda: generate(runtime, request_id), lambda: generate(runtime, request_id))
    assert sorted(outcomes) == ["ready", "skipped"]
    with runtime.db.session() as s:
        files = s.scalar(
            select(func.count())
            .select_from(CertificateFile)
            .where(CertificateFile.certificate_id == request_id)
        )
        row = s.get(Certificate, request_id)
        assert row is not None and (row.status, row.attempts, files) == ("ready", 1, 1)


def test_the_same_request_twice_at_once_is_one_request(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    paid_by_alipay(client, world.zhang_headers)
    from shebao.jobs import huey

    huey.immediate = False  # keep both generating while they race (the queue is not run)
    try:
        answers = _together(
            lambda: request(client, world.zhang_headers), lambda: request(client, world.zhang_headers)
        )
    finally:
        huey.immediate = True
    assert sorted(a.status_code for a in answers) == [200, 201]
    assert len({a.json()["id"] for a in answers}) == 1
    with runtime.db.session() as s:
        assert s.scalar(select(func.count()).select_from(Certificate)) == 1
        assert uuid.UUID(answers[0].json()["id"])
