"""`GET /api/v1/payment-records` (API.md): every channel, the payer's own and what they paid for others."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, FastAPI, Query

from shebao.deps import DbSession
from shebao.identity.access import MINE, Viewer
from shebao.identity.deps import CurrentPayer
from shebao.kit.pagination import PageParams
from shebao.kit.params import PayerFilter
from shebao.records import schemas
from shebao.records.service import check_filter, payment_records

router = APIRouter(prefix="/api/v1", tags=["payment records"])


@router.get("/payment-records", response_model=schemas.PaymentRecordList, summary="缴费记录（全渠道）")
def records(
    payer: CurrentPayer,
    session: DbSession,
    page: PageParams,
    scheme: Annotated[str | None, Query(max_length=32, description="险种")] = None,
    period_from: Annotated[str | None, Query(max_length=7, description="费款所属期起 YYYY-MM")] = None,
    period_to: Annotated[str | None, Query(max_length=7, description="费款所属期止 YYYY-MM")] = None,
    payer_id: PayerFilter = None,
) -> schemas.PaymentRecordList:
    where = check_filter(scheme, period_from, period_to)
    viewer = Viewer.of(session, payer.person)
    whom = viewer.whom(payer_id, default=MINE)
    items, next_cursor = payment_records(session, viewer, whom, where, page)
    return schemas.PaymentRecordList(items=items, next_cursor=next_cursor)


def include(app: FastAPI) -> None:
    app.include_router(router)
