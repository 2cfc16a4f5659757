"""kit/pagination: the cursor, the keyset over a real table, and bad paging input as a Chinese 422."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from shebao.identity.models import FamilyMember
from shebao.kit.ids import new_id
from shebao.kit.pagination import (
    BAD_CURSOR,
    PageRequest,
    asc,
    decode_cursor,
    encode_cursor,
    fetch_scalars,
)
from tests.support.people import transaction

PAGED = [
    "/api/v1/declarations",
    "/api/v1/payables",
    "/api/v1/payment-records",
    "/api/v1/agreements",
    "/api/v1/certificates",
    "/api/v1/family",
    "/api/v1/consents",
    "/api/v1/contribution-settings",
]


class TestCursor:
    def test_round_trip_keeps_each_type(self) -> None:
        key = (datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC), date(2026, 1, 2), uuid.UUID(int=7), 3, "2026-01")
        assert decode_cursor(encode_cursor(key)) == key

    @pytest.mark.parametrize(
        "cursor",
        [
            "x",
            "!!!",
            base64.urlsafe_b64encode(b"not json").decode(),
            base64.urlsafe_b64encode(b"[]").decode(),
            base64.urlsafe_b64encode(b'{"a": 1}').decode(),
            base64.urlsafe_b64encode(b'[["u", "not-a-uuid"]]').decode(),
            base64.urlsafe_b64encode(b'[["t", "2026-01-01T00:00:00"]]').decode(),  # no zone
            base64.urlsafe_b64encode(b'[["i", true]]').decode(),
            base64.urlsafe_b64encode(b'[["i", 99999999999999999999]]').decode(),
            base64.urlsafe_b64encode(b'[["s", "a\\u0000b"]]').decode(),
            base64.urlsafe_b64encode(b'[["z", "1"]]').decode(),
            base64.urlsafe_b64encode(b"\xff\xfe").decode(),
        ],
    )
    def test_anything_else_is_refused(self, cursor: str) -> None:
        with pytest.raises(ValueError, match=BAD_CURSOR):
            decode_cursor(cursor)


def test_keyset_pages_250_rows_exactly_once_in_order(runtime, world) -> None:  # type: ignore[no-untyped-def]
    """Every row once, in (created_at, id) order, with equal created_at across page boundaries."""
    payer = world.wang
    moment = datetime(2025, 11, 20, 1, 0, tzinfo=UTC)
    with transaction(runtime) as session:
        rows = [
            FamilyMember(
                id=new_id(), payer_id=payer.id, member_id=payer.id, relation="other", created_at=moment
            )
            for _ in range(250)
        ]
        session.add_all(rows)
    expected = sorted(row.id for row in rows)
    query = select(FamilyMember).where(FamilyMember.payer_id == payer.id)
    order = (asc(FamilyMember.created_at), asc(FamilyMember.id))
    seen: list[uuid.UUID] = []
    sizes = []
    page = PageRequest(limit=100)
    with runtime.work().read() as session:
        while True:
            found, cursor = fetch_scalars(session, query, order, page)
            sizes.append(len(found))
            seen += [row.id for row in found]
            if cursor is None:
                break
            page = PageRequest(limit=100, after=decode_cursor(cursor))
    assert sizes == [100, 100, 50]
    assert seen == expected


class TestBadPagingInput:
    @pytest.mark.parametrize("url", PAGED)
    @pytest.mark.parametrize(
        ("params", "message"),
        [
            ({"limit": "0"}, "每页条数不能小于1"),
            ({"limit": "501"}, "每页条数不能大于500"),
            ({"limit": "ten"}, "每页条数应为整数"),
            ({"cursor": "garbage"}, BAD_CURSOR),
            # A cursor of another list (a different sort key) is no cursor of this one.
            ({"cursor": encode_cursor(("resident_medical",))}, BAD_CURSOR),
        ],
    )
    def test_422_in_chinese(self, client, world, url: str, params: dict[str, str], message: str) -> None:  # type: ignore[no-untyped-def]
        answer = client.get(url, params=params, headers=world.zhang_headers)
        assert answer.status_code == 422, answer.text
        error = answer.json()["error"]
        assert error["code"] == "validation_failed"
        assert error["message"] == message
        field = next(iter(params))
        assert set(error["fields"]) == {field}

    @pytest.mark.parametrize("url", PAGED)
    def test_the_largest_page_is_500(self, client, world, url: str) -> None:  # type: ignore[no-untyped-def]
        answer = client.get(url, params={"limit": "500"}, headers=world.zhang_headers)
        assert answer.status_code == 200, answer.text
        assert answer.json()["next_cursor"] is None
