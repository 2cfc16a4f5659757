from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from shebao.clockstore import DatabaseClockStore
from shebao.kit.clock import ClockError, ServiceClock, start_of_local_day
from shebao.runtime import Runtime
from tests.support.people import transaction


def test_rehearsal_clock_starts_at_the_configured_moment_and_runs(runtime: Runtime, set_now) -> None:  # type: ignore[no-untyped-def]
    set_now("2025-11-20T09:00:00+08:00")
    now = runtime.clock.now()
    assert timedelta(0) <= now - datetime.fromisoformat("2025-11-20T09:00:00+08:00") < timedelta(seconds=5)
    assert runtime.clock.today() == date(2025, 11, 20)


def test_clock_is_shared_by_every_process_through_the_database(runtime: Runtime, set_now) -> None:  # type: ignore[no-untyped-def]
    set_now("2025-11-20T23:59:00+08:00")
    other_process = ServiceClock(DatabaseClockStore(runtime.db.session), frozen_real_time=False)
    assert other_process.today() == date(2025, 11, 20)
    with transaction(runtime) as s:
        runtime.clock.move_to(s, datetime.fromisoformat("2025-11-21T00:30:00+08:00"))
    other_process._read_at = float("-inf")  # its one-second cache has run out
    assert other_process.today() == date(2025, 11, 21)


def test_restarting_with_the_same_start_keeps_the_moved_clock(runtime: Runtime, set_now) -> None:  # type: ignore[no-untyped-def]
    start = datetime.fromisoformat("2025-11-20T09:00:00+08:00")
    set_now(start)
    with transaction(runtime) as s:
        runtime.clock.move_to(s, datetime.fromisoformat("2025-12-01T09:00:00+08:00"))
    set_now(start)  # a second process starting with the same SHEBAO_CLOCK
    assert runtime.clock.today() == date(2025, 12, 1)


def test_clock_never_moves_back(runtime: Runtime, set_now) -> None:  # type: ignore[no-untyped-def]
    set_now("2025-11-20T09:00:00+08:00")
    with pytest.raises(ClockError, match="只能向前"), transaction(runtime) as s:
        runtime.clock.move_to(s, datetime.fromisoformat("2025-11-19T09:00:00+08:00"))


def test_production_clock_is_real_time() -> None:
    clock = ServiceClock(None, frozen_real_time=True)
    assert abs(clock.now() - datetime.now().astimezone()) < timedelta(seconds=2)
    with pytest.raises(ClockError):
        clock.move_to(None, datetime.now().astimezone())  # type: ignore[arg-type]


def test_local_midnight_is_shanghai_midnight() -> None:
    assert start_of_local_day(date(2025, 11, 21)).isoformat() == "2025-11-20T16:00:00+00:00"


def test_sandbox_clock_endpoint_moves_forward_only(client, set_now) -> None:  # type: ignore[no-untyped-def]
    set_now("2025-11-20T09:00:00+08:00")
    moved = client.post("/sandbox/clock", json={"now": "2025-11-28T09:00:00+08:00"})
    assert moved.status_code == 200
    assert moved.json()["now"] == "2025-11-28T09:00:00+08:00"
    back = client.post("/sandbox/clock", json={"now": "2025-11-21T09:00:00+08:00"})
    assert back.status_code == 422
    assert back.json()["error"]["message"] == "服务时钟只能向前调整"
    naive = client.post("/sandbox/clock", json={"now": "2025-12-01T09:00:00"})
    assert naive.status_code == 422


def test_a_process_started_without_a_clock_setting_follows_the_deployments_clock(runtime, set_now) -> None:  # type: ignore[no-untyped-def]
    set_now("2025-11-20T09:00:00+08:00")
    worker_process = ServiceClock(DatabaseClockStore(runtime.db.session), frozen_real_time=False)
    with transaction(runtime) as s:
        worker_process.start_at(s, None)  # `shebao worker` without SHEBAO_CLOCK
    assert runtime.clock.today() == date(2025, 11, 20)
    assert worker_process.today() == date(2025, 11, 20)
