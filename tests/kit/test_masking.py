"""Masking helpers: exact outputs."""

from __future__ import annotations

import pytest

from shebao.kit.masking import mask_account, mask_id_number, mask_name, mask_phone


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # 18 characters: first 6, last 4
        ("11010519491231002X", "110105********002X"),
        ("110101199003071823", "110101********1823"),
        ("810000199001011230", "810000********1230"),
        # 12-17 characters: first 2, last 3
        ("ABCDEFGHIJKLMNOP1", "AB************OP1"),
        ("USA110088051201", "US**********201"),
        ("123456789012", "12*******012"),
        # 8-11 characters: first 1, last 2
        ("M1234567801", "M********01"),
        ("1234567801", "1*******01"),
        ("H12345678", "H******78"),
        ("E12345678", "E******78"),
        ("12345678", "1*****78"),
        # 5-7 characters: first 1, last 1
        ("P123456", "P*****6"),
        ("AB123", "A***3"),
        # 4 or fewer: nothing shown
        ("A123", "****"),
        ("1", "*"),
        ("", ""),
        # surrounding whitespace is not part of the number
        (" 110101199003071823 ", "110101********1823"),
    ],
)
def test_mask_id_number(raw: str, expected: str) -> None:
    assert mask_id_number(raw) == expected
    assert len(expected) == len(raw.strip())


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13812345678", "138****5678"),
        ("138 1234 5678", "138****5678"),
        ("19900001111", "199****1111"),
        ("01012345678", "010****5678"),
        ("12345678", "123*5678"),
        ("1234567", "*****67"),
        ("12345", "***45"),
        ("1234", "****"),
        ("", ""),
    ],
)
def test_mask_phone(raw: str, expected: str) -> None:
    assert mask_phone(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("张三", "*三"),
        ("张三丰", "*三丰"),
        ("张", "*"),
        ("欧阳娜娜", "*阳娜娜"),
        (" 李四 ", "*四"),
        ("", ""),
        ("   ", ""),
    ],
)
def test_mask_name(raw: str, expected: str) -> None:
    assert mask_name(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("6228001234561234", "622800******1234"),
        ("6228 0012 3456 1234", "622800******1234"),
        ("6217000010012345678", "621700*********5678"),
        ("62280012345612", "622800****5612"),
        ("1234567890123", "*********0123"),
        ("12345678", "****5678"),
        ("1234567", "*******"),
        ("", ""),
    ],
)
def test_mask_account(raw: str, expected: str) -> None:
    assert mask_account(raw) == expected
