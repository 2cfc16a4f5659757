"""Providers' daily statements (对账单) in provider-neutral terms, for reconciliation."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal, Protocol, runtime_checkable

LineKind = Literal["payment", "refund"]


@dataclass(frozen=True)
class StatementLine:
    provider_trade_no: str
    out_trade_no: str
    kind: LineKind
    amount_fen: int
    completed_at: datetime | None


@dataclass(frozen=True)
class Statement:
    channel: str
    bill_date: date
    lines: tuple[StatementLine, ...]
    raw: bytes = field(repr=False)

    @property
    def digest(self) -> str:
        """Identifies this statement's content: the same file twice is processed once."""
        return hashlib.sha256(self.raw).hexdigest()


@runtime_checkable
class StatementSource(Protocol):
    """An adapter that can download and parse its provider's statement of a closed day."""

    method: str

    def statement(self, bill_date: date) -> Statement: ...
