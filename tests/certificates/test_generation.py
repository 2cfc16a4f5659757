"""Generation in the worker: a killed worker's request is picked up once, never made twice."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import func, select

from shebao.certificates import generation
from shebao.certificates.generation import LEASE, generate
from shebao.certificates.models import Certificate, CertificateFile
from shebao.certificates.tasks import resume_stale
from tests.support.certificates import left_generating
from tests.support.payments import paid_by_alipay
from tests.support.people import transaction


def _state(runtime, certificate_id: uuid.UUID) -> tuple[str, int, int]:  # type: ignore[no-untyped-def]
    with runtime.db.session() as s:
        row = s.get(Certificate, certificate_id)
        assert row is not None
        files = s.scalar(
            select(func.count())
            .select_from(CertificateFile)
            .where(CertificateFile.certificate_id == certificate_id)
        )
        return row.status, row.attempts, files or 0


def test_a_killed_workers_request_is_picked_up_exactly_once(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    paid_by_alipay(client, world.zhang_headers)
    dead = left_generating(runtime, world.zhang, claimed_ago=LEASE + timedelta(seconds=1))
    live = left_generating(
        runtime, world.zhang, claimed_ago=timedelta(minutes=1), token="live-worker", period_from="2026-02"
    )
    assert resume_stale() == 1  # the dead worker's request only; the live lease is left alone
    assert _state(runtime, dead) == ("ready", 2, 1)
    assert _state(runtime, live) == ("generating", 1, 0)
    assert resume_stale() == 0
    # The killed worker wakes up and finishes late: its claim is gone, nothing is stored twice.
    assert generation._finish(runtime.work(), dead, "dead-worker", None) == "lost"  # type: ignore[arg-type]
    assert generation._fail(runtime.work(), dead, "dead-worker") == "lost"
    assert _state(runtime, dead) == ("ready", 2, 1)
    # Running the task again for a ready request does nothing.
    assert generate(runtime, dead) == "skipped"
    assert _state(runtime, dead) == ("ready", 2, 1)


def test_a_lost_task_is_enqueued_again(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    paid_by_alipay(client, world.zhang_headers)
    lost = left_generating(runtime, world.zhang, claimed_ago=None)
    assert resume_stale() == 1
    assert _state(runtime, lost) == ("ready", 1, 1)


def test_two_workers_on_one_request_make_it_once(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    paid_by_alipay(client, world.zhang_headers)
    request_id = left_generating(runtime, world.zhang, claimed_ago=None)
    # The first worker claims and renders; a second arriving meanwhile finds the claim live.
    token = "first"
    with transaction(runtime) as s:
        from shebao.certificates.repository import CertificateRepository

        now = runtime.clock.now()
        assert CertificateRepository(s).claim(request_id, token, now, now - LEASE) is True
    assert generate(runtime, request_id) == "skipped"
    rendered = generation._render(runtime, runtime.work(), request_id)
    assert generation._finish(runtime.work(), request_id, token, rendered) == "ready"
    assert _state(runtime, request_id) == ("ready", 1, 1)
