"""Keyset pagination for the list endpoints: `limit`, an opaque `cursor`, and `next_cursor` in the answer.

A list is read in one stable order that ends with a unique column (e.g. newest first: `declared_at`,
then `id`). A page asks for the rows strictly after the last row of the page before it, by comparing
the sort key, never by OFFSET: a page costs the same at the end of a long list as at its start, and a
row added meanwhile neither repeats nor pushes another out of the next page. The cursor carries the
last row's sort key (base64 of JSON, typed); clients treat it as opaque and pass it back as given.
Decision record: docs/decisions/0011-pagination.md.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import Depends, Query
from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, Select, and_, or_
from sqlalchemy.orm import QueryableAttribute, Session
from sqlalchemy.types import TypeEngine

from shebao.errors import ValidationFailed

DEFAULT_LIMIT = 100  # API.md: a first page holds at least 100 items
MAX_LIMIT = 500
BAD_CURSOR = "翻页位置无效，请去掉 cursor 从第一页重新查询"

_Value = str | int | datetime | date | uuid.UUID


@dataclass(frozen=True)
class PageRequest:
    """What a client asked for: at most `limit` rows after the row `after` names (None: the first page)."""

    limit: int = DEFAULT_LIMIT
    after: tuple[_Value, ...] | None = None


@dataclass(frozen=True)
class Key:
    """One part of a listing's order; the last key of an order must be unique (an id)."""

    expression: ColumnElement[Any]
    descending: bool = False


def asc(expression: ColumnElement[Any] | QueryableAttribute[Any]) -> Key:
    return Key(expression.expression)


def desc(expression: ColumnElement[Any] | QueryableAttribute[Any]) -> Key:
    return Key(expression.expression, descending=True)


class Paged(BaseModel):
    """The paging field of a list answer (API.md: `{"items": [...]}` plus paging fields)."""

    next_cursor: str | None = Field(
        default=None,
        description="下一页的翻页位置：原样传回 cursor 取下一页；null 表示已是最后一页",
    )


# --- the cursor ---------------------------------------------------------------------------------

_TAGS: dict[type, str] = {datetime: "t", date: "d", uuid.UUID: "u", int: "i", str: "s"}


def encode_cursor(values: Sequence[Any]) -> str:
    parts: list[list[str | int]] = []
    for value in values:
        if isinstance(value, bool) or type(value) not in _TAGS:
            raise TypeError(f"a sort key of type {type(value).__name__} cannot be paged over")
        tag = _TAGS[type(value)]
        shown = value if tag in {"i", "s"} else (value.isoformat() if tag in {"t", "d"} else str(value))
        parts.append([tag, shown])
    raw = json.dumps(parts, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[_Value, ...]:
    """The sort key a cursor carries; anything that is not a cursor we made is a ValueError."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        parts = json.loads(raw)
        if not isinstance(parts, list) or not parts:
            raise ValueError(BAD_CURSOR)
        return tuple(_decode_part(part) for part in parts)
    except (ValueError, TypeError, OverflowError) as exc:  # binascii, JSON and UTF-8 errors included
        raise ValueError(BAD_CURSOR) from exc


def _decode_part(part: object) -> _Value:
    if not isinstance(part, list) or len(part) != 2:
        raise ValueError(BAD_CURSOR)
    tag, shown = part
    if tag == "i" and isinstance(shown, int) and not isinstance(shown, bool) and abs(shown) < 2**63:
        return shown
    if not isinstance(shown, str) or "\x00" in shown:
        raise ValueError(BAD_CURSOR)
    if tag == "s":
        return shown
    if tag == "t":
        moment = datetime.fromisoformat(shown)
        if moment.tzinfo is None:
            raise ValueError(BAD_CURSOR)
        return moment
    if tag == "d":
        return date.fromisoformat(shown)
    if tag == "u":
        return uuid.UUID(shown)
    raise ValueError(BAD_CURSOR)


# --- the request parameters ---------------------------------------------------------------------


def paging(limit: int, cursor: str | None) -> PageRequest:
    """The page asked for: `limit` items after the `cursor` a previous page answered (None: the first)."""
    if not cursor:
        return PageRequest(limit=limit)
    try:
        after = decode_cursor(cursor)
    except ValueError as exc:
        raise ValidationFailed(BAD_CURSOR, fields={"cursor": "翻页位置无效"}) from exc
    return PageRequest(limit=limit, after=after)


# `async`: no I/O, so no hand-off to the thread pool and back on every listing.
async def page_request(
    limit: Annotated[
        int,
        Query(ge=1, le=MAX_LIMIT, description=f"每页条数（1–{MAX_LIMIT}，默认 {DEFAULT_LIMIT}）"),
    ] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None,
        Query(
            max_length=512,
            description="翻页位置：上一页答复的 next_cursor，原样传回；不填为第一页",
        ),
    ] = None,
) -> PageRequest:
    return paging(limit, cursor)


PageParams = Annotated[PageRequest, Depends(page_request)]


# --- the query ----------------------------------------------------------------------------------


def ordered(query: Select[Any], keys: Sequence[Key]) -> Select[Any]:
    return query.order_by(*(k.expression.desc() if k.descending else k.expression.asc() for k in keys))


def _after(keys: Sequence[Key], values: Sequence[_Value]) -> ColumnElement[bool]:
    """Rows after the one whose sort key is `values`: (k0 > v0) or (k0 = v0 and k1 > v1) or …"""
    branches = []
    for index, key in enumerate(keys):
        equal = [keys[i].expression == values[i] for i in range(index)]
        beyond = key.expression < values[index] if key.descending else key.expression > values[index]
        branches.append(and_(*equal, beyond))
    return or_(*branches)


def _check_fits(keys: Sequence[Key], values: Sequence[_Value]) -> None:
    if len(values) != len(keys):
        raise ValidationFailed(BAD_CURSOR, fields={"cursor": "翻页位置无效"})
    for key, value in zip(keys, values, strict=True):
        expected = _python_type(key.expression.type)
        if expected is None:
            continue
        if not isinstance(value, expected) or (expected is date and isinstance(value, datetime)):
            raise ValidationFailed(BAD_CURSOR, fields={"cursor": "翻页位置无效"})


def _python_type(kind: TypeEngine[Any]) -> type | None:
    """The Python type of a column's values (a TypeDecorator's from what it decorates), if known."""
    for candidate in (kind, getattr(kind, "impl_instance", None)):
        if candidate is None:
            continue
        try:
            found: type = candidate.python_type
        except NotImplementedError:
            continue
        return found
    return None


def fetch_rows(
    session: Session, query: Select[Any], keys: Sequence[Key], page: PageRequest | None
) -> tuple[list[tuple[Any, ...]], str | None]:
    """One page of `query` in the order `keys` (all rows when `page` is None, as pages that list all)."""
    if page is None:
        return [tuple(row) for row in session.execute(ordered(query, keys))], None
    if page.after is not None:
        _check_fits(keys, page.after)
        query = query.where(_after(keys, page.after))
    labelled = [key.expression.label(f"page_key_{index}") for index, key in enumerate(keys)]
    rows = list(session.execute(ordered(query, keys).add_columns(*labelled).limit(page.limit + 1)).all())
    more = len(rows) > page.limit
    rows = rows[: page.limit]
    cut = len(keys)
    next_cursor = encode_cursor(tuple(rows[-1])[-cut:]) if more and rows else None
    return [tuple(row)[:-cut] for row in rows], next_cursor


def fetch_scalars(
    session: Session, query: Select[Any], keys: Sequence[Key], page: PageRequest | None
) -> tuple[list[Any], str | None]:
    """As `fetch_rows` for a query of one entity or column: the rows' first elements."""
    rows, next_cursor = fetch_rows(session, query, keys, page)
    return [row[0] for row in rows], next_cursor
