"""What every simulated provider's bill of a day lists: its merchant's trades paid that day, Beijing time,
in the order they were paid (then by the provider's order number)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, Protocol, TypeVar

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session, class_mapper

from shebao.errors import Inconsistent
from shebao.kit.clock import start_of_local_day


class Paid(Protocol):
    """A trade model: `paid_at` is its column on the class, its time of payment on a trade."""

    @property
    def paid_at(self) -> datetime | None: ...


T = TypeVar("T", bound=Paid)


def paid_on(
    session: Session, model: type[T], merchant: ColumnElement[bool], day: date, *then: Any
) -> list[tuple[T, datetime]]:
    """The trades of `model` for which `merchant` holds, paid on `day`, each with its time of payment;
    `then` orders those paid at the same time."""
    start, paid_at = start_of_local_day(day), class_mapper(model).columns["paid_at"]
    query = (
        select(model)
        .where(merchant, paid_at >= start, paid_at < start + timedelta(days=1))
        .order_by(paid_at, *then)
    )
    found = []
    for trade in session.scalars(query):
        if trade.paid_at is None:  # the query picks paid trades
            raise Inconsistent("沙箱交易已付款却没有付款时间")
        found.append((trade, trade.paid_at))
    return found
