"""payables/service.py: generation as the service clock moves, idempotent (via the task function)."""

from __future__ import annotations

from sqlalchemy import select

from shebao.enrolment.models import Enrolment
from shebao.payables.models import Payable
from shebao.payables.tasks import generate_due_payables
from shebao.runtime import Runtime
from tests.support.enrolment import (
    WANG_WU,
    ZHANG_SAN,
    count,
    do_import,
    flexible_row,
    medical_row,
    move,
    payables_of,
    pension_row,
    periods,
)


class TestSweep:
    def test_a_new_month_is_added_once(self, runtime: Runtime, set_now) -> None:  # type: ignore[no-untyped-def]
        set_now("2025-11-20T09:00:00+08:00")
        do_import(runtime, [flexible_row(start="2025-10")])
        assert count(runtime, Payable) == 8
        assert generate_due_payables(runtime).created == 0

        move(runtime, "2025-12-01T00:05:00+08:00")
        result = generate_due_payables(runtime)
        assert (result.created, result.by_scheme["flexible_employment"]) == (4, 4)
        assert periods(runtime) == ["2025-10", "2025-11", "2025-12"]
        assert generate_due_payables(runtime).created == 0
        assert count(runtime, Payable) == 12
        with runtime.db.session() as session:
            assert session.scalars(select(Enrolment)).one().payables_through == "2025-12"

    def test_several_months_and_an_end(self, runtime: Runtime, set_now) -> None:  # type: ignore[no-untyped-def]
        set_now("2025-09-15T09:00:00+08:00")
        do_import(
            runtime,
            [
                flexible_row(types="pension", start="2025-09", end="2025-11"),
                flexible_row(ZHANG_SAN, types="medical", start="2025-09"),
            ],
        )
        move(runtime, "2026-01-10T09:00:00+08:00")
        assert generate_due_payables(runtime).created == 2 + 4
        assert periods(runtime, insurance_type="pension") == ["2025-09", "2025-10", "2025-11"]
        assert periods(runtime, insurance_type="medical") == [
            "2025-09",
            "2025-10",
            "2025-11",
            "2025-12",
            "2026-01",
        ]
        assert generate_due_payables(runtime).enrolments == 0

    def test_a_collection_window_opens(self, runtime: Runtime, set_now) -> None:  # type: ignore[no-untyped-def]
        set_now("2025-03-15T09:00:00+08:00")
        do_import(runtime, [medical_row(), pension_row(WANG_WU, amount="3000")])
        assert count(runtime, Payable) == 0

        move(runtime, "2025-04-01T00:01:00+08:00")
        assert generate_due_payables(runtime).by_scheme == {"resident_pension": 1, "flexible_employment": 0}
        assert [(p.scheme, p.period_start, p.base_amount_fen) for p in payables_of(runtime)] == [
            ("resident_pension", "2025-01", 300000)
        ]
        move(runtime, "2025-09-01T08:00:00+08:00")
        result = generate_due_payables(runtime)
        assert result.by_scheme["resident_medical"] == 1
        assert [
            (p.scheme, p.period_start, p.period_end, p.base_amount_fen) for p in payables_of(runtime)
        ] == [
            ("resident_medical", "2026-01", "2026-12", 79500),
            ("resident_pension", "2025-01", "2025-12", 300000),
        ]
        assert generate_due_payables(runtime).created == 0

    def test_months_waiting_for_a_table_are_retried_not_duplicated(
        self,
        runtime: Runtime,
        set_now,  # type: ignore[no-untyped-def]
    ) -> None:
        set_now("2026-08-10T09:00:00+08:00")
        do_import(runtime, [flexible_row(types="pension", start="2026-05")])
        assert periods(runtime) == ["2026-05", "2026-06"]
        result = generate_due_payables(runtime)
        assert (result.enrolments, result.created) == (1, 0)
        assert periods(runtime) == ["2026-05", "2026-06"]

    def test_batches(self, runtime: Runtime, set_now) -> None:  # type: ignore[no-untyped-def]
        from shebao.payables.service import sweep

        set_now("2025-11-20T09:00:00+08:00")
        rows = [
            flexible_row(types="pension", start="2025-11"),
            flexible_row(ZHANG_SAN, types="pension", start="2025-11"),
            flexible_row(WANG_WU, types="pension", start="2025-11"),
        ]
        do_import(runtime, rows)
        move(runtime, "2026-02-01T09:00:00+08:00")
        result = sweep(runtime.work(), runtime.clock, batch=2)
        assert (result.enrolments, result.created) == (3, 9)
