"""Fee periods (费款所属期): one calendar month, written YYYY-MM.

    >>> p = Period.parse("2025-12")
    >>> str(p.next()), p.first_day, p.last_day
    ('2026-01', datetime.date(2025, 12, 1), datetime.date(2025, 12, 31))
    >>> [str(x) for x in Period.range(Period.parse("2025-11"), Period.parse("2026-01"))]
    ['2025-11', '2025-12', '2026-01']

Periods order and hash by (year, month), so they work as dict keys and in `sorted`, `min`, `max`.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

_FORMAT = re.compile(r"[0-9]{4}-[0-9]{2}")
FORMAT_MESSAGE = "费款所属期格式应为YYYY-MM"


class PeriodError(ValueError):
    """A fee period that is not a real YYYY-MM month."""

    def __init__(self, message: str = FORMAT_MESSAGE) -> None:
        self.message = message
        super().__init__(message)


@dataclass(frozen=True, order=True)
class Period:
    year: int
    month: int

    def __post_init__(self) -> None:
        if not (1 <= self.year <= 9999 and 1 <= self.month <= 12):
            raise PeriodError()

    @classmethod
    def parse(cls, text: str) -> Period:
        """Strictly "YYYY-MM" (zero-padded month, no spaces): "2025-13" and "2025-1" are refused."""
        if not isinstance(text, str) or not _FORMAT.fullmatch(text):
            raise PeriodError()
        return cls(int(text[:4]), int(text[5:]))

    @classmethod
    def of(cls, day: date) -> Period:
        """The period a calendar day falls in."""
        return cls(day.year, day.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def next(self) -> Period:
        if self.month == 12:
            return Period(self.year + 1, 1)
        return Period(self.year, self.month + 1)

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    @staticmethod
    def range(start: Period, end: Period) -> list[Period]:
        """Every period from `start` to `end`, both included; empty when `end` is before `start`."""
        periods: list[Period] = []
        current = start
        while current < end:
            periods.append(current)
            current = current.next()
        if current == end:
            periods.append(end)
        return periods
