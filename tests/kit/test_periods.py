"""kit/periods.py: fee periods (费款所属期) as YYYY-MM months."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from shebao.kit.periods import Period, PeriodError


class TestParse:
    @pytest.mark.parametrize(
        ("text", "year", "month"), [("2025-07", 2025, 7), ("2026-12", 2026, 12), ("0001-01", 1, 1)]
    )
    def test_valid(self, text: str, year: int, month: int) -> None:
        assert Period.parse(text) == Period(year, month)

    @pytest.mark.parametrize(
        "text",
        [
            "2025-13",
            "2025-00",
            "2025-1",
            "2025-011",
            "25-01",
            "2025/01",
            "202501",
            " 2025-01",
            "2025-01 ",
            "",
            "0000-01",
            "２０２５-01",
            "2025-01-01",
        ],
    )
    def test_invalid(self, text: str) -> None:
        with pytest.raises(ValueError, match="费款所属期格式应为YYYY-MM") as info:
            Period.parse(text)
        assert isinstance(info.value, PeriodError)
        assert info.value.message == "费款所属期格式应为YYYY-MM"

    @pytest.mark.parametrize(("year", "month"), [(2025, 13), (2025, 0), (0, 1), (10000, 1)])
    def test_constructor_validates_too(self, year: int, month: int) -> None:
        with pytest.raises(PeriodError, match="费款所属期格式应为YYYY-MM"):
            Period(year, month)

    def test_round_trip(self) -> None:
        assert str(Period.parse("2025-07")) == "2025-07"
        assert str(Period(2025, 7)) == "2025-07"
        assert str(Period(800, 1)) == "0800-01"

    def test_of_date(self) -> None:
        assert Period.of(date(2025, 8, 31)) == Period(2025, 8)


class TestCalendar:
    def test_next(self) -> None:
        assert Period(2025, 7).next() == Period(2025, 8)
        assert Period(2025, 12).next() == Period(2026, 1)

    @pytest.mark.parametrize(
        ("period", "first", "last"),
        [
            ("2025-07", date(2025, 7, 1), date(2025, 7, 31)),
            ("2025-06", date(2025, 6, 1), date(2025, 6, 30)),
            ("2025-02", date(2025, 2, 1), date(2025, 2, 28)),
            ("2024-02", date(2024, 2, 1), date(2024, 2, 29)),
            ("2025-12", date(2025, 12, 1), date(2025, 12, 31)),
        ],
    )
    def test_first_and_last_day(self, period: str, first: date, last: date) -> None:
        parsed = Period.parse(period)
        assert parsed.first_day == first
        assert parsed.last_day == last

    def test_fields(self) -> None:
        period = Period.parse("2026-03")
        assert (period.year, period.month) == (2026, 3)


class TestRange:
    def test_inclusive_across_year(self) -> None:
        periods = Period.range(Period(2025, 11), Period(2026, 2))
        assert [str(p) for p in periods] == ["2025-11", "2025-12", "2026-01", "2026-02"]

    def test_single(self) -> None:
        assert Period.range(Period(2025, 7), Period(2025, 7)) == [Period(2025, 7)]

    def test_end_before_start_is_empty(self) -> None:
        assert Period.range(Period(2025, 8), Period(2025, 7)) == []

    def test_whole_base_year(self) -> None:
        assert len(Period.range(Period(2025, 7), Period(2026, 6))) == 12

    def test_last_representable_month(self) -> None:
        assert Period.range(Period(9999, 11), Period(9999, 12)) == [Period(9999, 11), Period(9999, 12)]


class TestValueSemantics:
    def test_ordering(self) -> None:
        assert Period(2025, 12) < Period(2026, 1) < Period(2026, 2)
        assert max(Period(2025, 7), Period(2024, 12)) == Period(2025, 7)
        assert sorted([Period(2026, 1), Period(2025, 12), Period(2025, 2)]) == [
            Period(2025, 2),
            Period(2025, 12),
            Period(2026, 1),
        ]

    def test_hash_and_equality(self) -> None:
        counts = {Period(2025, 7): 1}
        counts[Period.parse("2025-07")] += 1
        assert counts == {Period(2025, 7): 2}

    def test_frozen(self) -> None:
        period = Period(2025, 7)
        with pytest.raises(dataclasses.FrozenInstanceError):
            period.month = 8  # type: ignore[misc]
