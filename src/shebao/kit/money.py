"""Money is integer fen everywhere; yuan appear only at the edges (display, CSV input).

`Decimal` is allowed inside policy arithmetic and is rounded to the fen here, in one place.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

FEN_PER_YUAN = 100

_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_SMALL_UNITS = ["", "拾", "佰", "仟"]
_BIG_UNITS = ["", "万", "亿", "万亿"]


class MoneyError(ValueError):
    """A value that is not a usable amount of money."""


def round_fen(amount_fen: Decimal) -> int:
    """Round an exact fen amount half-up to a whole fen: the only rounding rule of the system."""
    return int(amount_fen.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def yuan_to_fen(yuan: str | int | Decimal) -> int:
    """Parse a yuan amount ("795", "7162.50") into fen; more than two decimals is an error, not a rounding."""
    try:
        value = Decimal(str(yuan).strip())
    except InvalidOperation as exc:
        raise MoneyError(f"金额格式不正确：{yuan}") from exc
    if not value.is_finite():
        raise MoneyError(f"金额格式不正确：{yuan}")
    fen = value * FEN_PER_YUAN
    if fen != fen.to_integral_value():
        raise MoneyError(f"金额最多保留两位小数：{yuan}")
    return int(fen)


def format_yuan(amount_fen: int, *, symbol: bool = True) -> str:
    """1234567 → '¥12,345.67' (the way pages show amounts)."""
    sign = "-" if amount_fen < 0 else ""
    yuan, fen = divmod(abs(amount_fen), FEN_PER_YUAN)
    text = f"{sign}{yuan:,}.{fen:02d}"
    return f"¥{text}" if symbol else text


def fen_to_yuan_text(amount_fen: int) -> str:
    """1234567 → '12345.67' (plain, for CSV and JSON edges)."""
    sign = "-" if amount_fen < 0 else ""
    yuan, fen = divmod(abs(amount_fen), FEN_PER_YUAN)
    return f"{sign}{yuan}.{fen:02d}"


def _four_digits_upper(number: int) -> str:
    """Chinese capital numerals for 0..9999, with the zeros a cheque writer would put."""
    text = ""
    zero_pending = False
    for position in range(3, -1, -1):
        digit = number // (10**position) % 10
        if digit == 0:
            if text:
                zero_pending = True
            continue
        if zero_pending:
            text += "零"
            zero_pending = False
        text += _DIGITS[digit] + _SMALL_UNITS[position]
    return text


def amount_in_words(amount_fen: int) -> str:
    """大写金额 for certificates: 123456 → '壹仟贰佰叁拾肆元伍角陆分', 100 → '壹元整'."""
    if amount_fen < 0:
        raise MoneyError("大写金额不能为负数")
    yuan, fen = divmod(amount_fen, FEN_PER_YUAN)
    jiao, fen = divmod(fen, 10)
    groups: list[int] = []
    while yuan:
        groups.append(yuan % 10000)
        yuan //= 10000
    text = ""
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            if text and not text.endswith("零"):
                text += "零"
            continue
        if text and (group < 1000) and not text.endswith("零"):
            text += "零"
        text += _four_digits_upper(group) + _BIG_UNITS[index]
    text = text.rstrip("零")
    if text:
        text += "元"
    if jiao == 0 and fen == 0:
        return (text or "零元") + "整"
    if jiao:
        text += _DIGITS[jiao] + "角"
    elif text:
        text += "零"
    if fen:
        text += _DIGITS[fen] + "分"
    else:
        text += "整"
    return text
