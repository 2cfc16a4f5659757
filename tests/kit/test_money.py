"""kit/money.py: integer fen, the one rounding rule, and the amount formats of pages and certificates."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shebao.kit.money import (
    MoneyError,
    amount_in_words,
    fen_to_yuan_text,
    format_yuan,
    round_fen,
    yuan_to_fen,
)


class TestRoundFen:
    @pytest.mark.parametrize(
        ("exact", "fen"),
        [
            ("0.5", 1),
            ("1.5", 2),
            ("2.5", 3),  # half-up, not banker's rounding
            ("2363.46", 2363),
            ("1432.4", 1432),
            ("50137.5", 50138),
            ("2.4999", 2),
            ("7", 7),
            ("-0.5", -1),  # half away from zero
        ],
    )
    def test_half_up(self, exact: str, fen: int) -> None:
        assert round_fen(Decimal(exact)) == fen

    def test_returns_int(self) -> None:
        assert type(round_fen(Decimal("12.50"))) is int


class TestYuanToFen:
    @pytest.mark.parametrize(
        ("yuan", "fen"),
        [
            ("795", 79500),
            ("7162.50", 716250),
            ("7162.5", 716250),
            ("0.01", 1),
            (" 12.30 ", 1230),
            (7162, 716200),
            (Decimal("35811"), 3581100),
            ("0", 0),
        ],
    )
    def test_parses(self, yuan: str | int | Decimal, fen: int) -> None:
        assert yuan_to_fen(yuan) == fen

    @pytest.mark.parametrize("yuan", ["1.005", "7162.505", "0.001"])
    def test_three_decimals_refused_not_rounded(self, yuan: str) -> None:
        with pytest.raises(MoneyError, match="金额最多保留两位小数"):
            yuan_to_fen(yuan)

    @pytest.mark.parametrize("yuan", ["abc", "", "NaN", "Infinity", "1,000"])
    def test_not_an_amount(self, yuan: str) -> None:
        with pytest.raises(MoneyError, match="金额格式不正确"):
            yuan_to_fen(yuan)

    def test_money_error_is_value_error(self) -> None:
        assert issubclass(MoneyError, ValueError)


class TestFormats:
    @pytest.mark.parametrize(
        ("fen", "text"),
        [(1234567, "¥12,345.67"), (79500, "¥795.00"), (5, "¥0.05"), (0, "¥0.00"), (-5, "¥-0.05")],
    )
    def test_format_yuan(self, fen: int, text: str) -> None:
        assert format_yuan(fen) == text

    def test_format_yuan_without_symbol(self) -> None:
        assert format_yuan(1234567, symbol=False) == "12,345.67"

    @pytest.mark.parametrize(
        ("fen", "text"), [(1234567, "12345.67"), (0, "0.00"), (-5, "-0.05"), (100, "1.00")]
    )
    def test_fen_to_yuan_text(self, fen: int, text: str) -> None:
        assert fen_to_yuan_text(fen) == text


class TestAmountInWords:
    @pytest.mark.parametrize(
        ("fen", "words"),
        [
            (123456, "壹仟贰佰叁拾肆元伍角陆分"),
            (100, "壹元整"),
            (1005, "壹拾元零伍分"),
            (0, "零元整"),
            (5, "伍分"),
            (50, "伍角整"),
            (250, "贰元伍角整"),
            (1050, "壹拾元伍角整"),
            (79500, "柒佰玖拾伍元整"),
            (100100, "壹仟零壹元整"),
            (101000, "壹仟零壹拾元整"),
            (10000500, "壹拾万零伍元整"),
            (100010000, "壹佰万零壹佰元整"),
            (10000000000, "壹亿元整"),
            (10000000100, "壹亿零壹元整"),
        ],
    )
    def test_vectors(self, fen: int, words: str) -> None:
        assert amount_in_words(fen) == words

    def test_negative_refused(self) -> None:
        with pytest.raises(MoneyError, match="大写金额不能为负数"):
            amount_in_words(-1)
