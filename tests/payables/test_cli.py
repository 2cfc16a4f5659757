"""`shebao payables generate [--period YYYY-MM]`."""

from __future__ import annotations

import pytest

from shebao.runtime import Runtime
from tests.support.enrolment import CliRunnerCall, do_import, flexible_row, move, periods


class TestGenerateCommand:
    def test_generate_up_to_a_period(self, cli: CliRunnerCall, runtime: Runtime, set_now) -> None:  # type: ignore[no-untyped-def]
        set_now("2025-10-20T09:00:00+08:00")
        do_import(runtime, [flexible_row(types="pension", start="2025-10")])
        move(runtime, "2026-01-05T09:00:00+08:00")
        result = cli("payables", "generate", "--period", "2025-11")
        assert result.exit_code == 0, result.output
        assert result.stdout == "已检查参保信息1条，生成应缴费1条（灵活就业人员1条）；截至2025-11。\n"
        assert periods(runtime) == ["2025-10", "2025-11"]
        result = cli("payables", "generate")
        assert result.stdout == "已检查参保信息1条，生成应缴费2条（灵活就业人员2条）；截至2026-01。\n"
        assert periods(runtime) == ["2025-10", "2025-11", "2025-12", "2026-01"]

    @pytest.mark.parametrize(
        ("period", "message"),
        [
            ("2025-13", "费款所属期格式应为YYYY-MM：2025-13\n"),
            ("2026-02", "不能生成当前费款所属期（2026-01）之后的应缴费：2026-02\n"),
        ],
    )
    def test_bad_period_exits_2(self, cli: CliRunnerCall, set_now, period: str, message: str) -> None:  # type: ignore[no-untyped-def]
        set_now("2026-01-05T09:00:00+08:00")
        result = cli("payables", "generate", "--period", period)
        assert result.exit_code == 2
        assert result.stderr == message
