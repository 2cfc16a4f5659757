"""What the dashboards (统计) show: the date range asked for, and the figures computed over it.

Days are Asia/Shanghai days, both ends included. Money is integer fen, as everywhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Final

from shebao.errors import ValidationFailed

DEFAULT_DAYS: Final = 30  # the last 30 days, today included
MAX_DAYS: Final = 366
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_FIELD_NAMES: Final = {"start": "开始日期", "end": "结束日期"}


class Dimension(StrEnum):
    """What the collections per day are broken down by."""

    SCHEME = "scheme"  # 险种
    DISTRICT = "district"  # 区（the region of the declaration's tax office）
    CHANNEL = "channel"  # 缴费渠道 (h5, mini programs, batch, counter, bank)
    METHOD = "method"  # 支付方式 (alipay, wechat, unionpay, agreement, elsewhere)

    @property
    def label(self) -> str:
        return DIMENSION_LABELS[self]


DIMENSION_LABELS: Final = {
    Dimension.SCHEME: "险种",
    Dimension.DISTRICT: "区",
    Dimension.CHANNEL: "缴费渠道",
    Dimension.METHOD: "支付方式",
}


@dataclass(frozen=True)
class DateRange:
    start: date
    end: date  # inclusive

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days + 1)]


def _parse_day(name: str, text: str) -> date:
    label = _FIELD_NAMES[name]
    if not _DATE.fullmatch(text):
        raise ValidationFailed(
            f"{label}格式不正确，请按 年-月-日 填写，如 2025-11-01", fields={name: "格式应为 YYYY-MM-DD"}
        )
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(
            f"{label}不是有效的日期，请检查月份和日", fields={name: "不是有效的日期"}
        ) from None


def parse_range(start: str | None, end: str | None, *, today: date) -> DateRange:
    """The range a console user asked for: both ends optional (the end defaults to today, the start to
    30 days before the end); refused with the field it concerns when it cannot be read or makes no sense."""
    start, end = (start or "").strip(), (end or "").strip()
    last = _parse_day("end", end) if end else today
    first = _parse_day("start", start) if start else last - timedelta(days=DEFAULT_DAYS - 1)
    if last > today:
        raise ValidationFailed(f"结束日期不能晚于今天（{today.isoformat()}）", fields={"end": "不能晚于今天"})
    if first > last:
        raise ValidationFailed("开始日期不能晚于结束日期", fields={"start": "不能晚于结束日期"})
    if (last - first).days + 1 > MAX_DAYS:
        raise ValidationFailed(
            f"日期范围最长 {MAX_DAYS} 天，请缩短开始日期和结束日期之间的范围", fields={"start": "范围过长"}
        )
    return DateRange(first, last)


@dataclass(frozen=True)
class DailyCollection:
    """One day's succeeded payments of one key of the dimension (a scheme, a district, ...)."""

    day: date
    key: str
    label: str
    count: int
    amount_fen: int


@dataclass(frozen=True)
class StatusTally:
    """The payments created in the range that are now in one status."""

    status: str
    label: str
    count: int
    amount_fen: int


@dataclass(frozen=True)
class BatchOutcome:
    """The batch deductions (批扣) of the range's run dates with one status and reason."""

    status: str
    label: str
    reason: str | None  # the bank's reason of a failed deduction; None otherwise
    count: int
    amount_fen: int
