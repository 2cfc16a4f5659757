"""What every simulated provider's bill of a day lists: its merchant's trades paid that day (and refunds
made that day), Beijing time, in the order they were paid (then by the provider's order number)."""

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
    return done_on(session, model, "paid_at", merchant, day, *then)


def done_on(
    session: Session, model: Any, at: str, merchant: ColumnElement[bool], day: date, *then: Any
) -> list[tuple[Any, datetime]]:
    """The rows of `model` for which `merchant` holds whose column `at` (paid_at, refunded_at) falls on
    `day`, each with that time; `then` orders those of the same time."""
    start, done_at = start_of_local_day(day), class_mapper(model).columns[at]
    query = (
        select(model)
        .where(merchant, done_at >= start, done_at < start + timedelta(days=1))
        .order_by(done_at, *then)
    )
    found = []
    for row in session.scalars(query):
        moment = getattr(row, at)
        if moment is None:  # the query picks rows that have it
            raise Inconsistent("沙箱交易已完成却没有完成时间")
        found.append((row, moment))
    return found
