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
        """Identifies this statement by its lines, not its bytes: a file downloaded again carries a new
        export time but the same lines, and is processed once; a corrected statement is processed again."""
        canonical = sorted(
            f"{line.kind}|{line.provider_trade_no}|{line.out_trade_no}|{line.amount_fen}|"
            f"{line.completed_at.isoformat() if line.completed_at else ''}"
            for line in self.lines
        )
        return hashlib.sha256(
            "\n".join([self.channel, self.bill_date.isoformat(), *canonical]).encode()
        ).hexdigest()


@runtime_checkable
class StatementSource(Protocol):
    """An adapter that can download and parse its provider's statement of a closed day."""

    method: str

    def statement(self, bill_date: date) -> Statement: ...
