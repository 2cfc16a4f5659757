"""`GET /api/v1/payables`: what the payer (or, with `payer_id`, a family member) owes."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Query

from shebao.deps import Clock, DbSession
from shebao.enrolment.terms import SCHEMES
from shebao.errors import ValidationFailed
from shebao.identity.access import insured_for
from shebao.identity.deps import CurrentPayer
from shebao.kit.pagination import PageParams
from shebao.kit.params import PayerFilter
from shebao.payables import presenters, schemas
from shebao.payables.models import STATUSES
from shebao.payables.service import list_payables

router = APIRouter(prefix="/api/v1/payables", tags=["payables"])

SchemeFilter = Annotated[
    str | None,
    Query(
        description="参保项目：" + " | ".join(SCHEMES) + "（不填：全部）",
        json_schema_extra={"enum": ["", *SCHEMES]},
    ),
]
StatusFilter = Annotated[
    str | None,
    Query(
        description="状态：" + " | ".join(STATUSES) + "（不填：全部）",
        json_schema_extra={"enum": ["", *STATUSES]},
    ),
]

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "未登录或登录已失效"},
    404: {"description": "payer_id 不是本人的家庭成员"},
    422: {"description": "查询条件不正确"},
}


def _check_filters(scheme: str | None, status: str | None) -> tuple[str | None, str | None]:
    fields: dict[str, str] = {}
    if scheme and scheme not in SCHEMES:
        fields["scheme"] = "参保项目应为 " + "、".join(SCHEMES) + " 之一"
    if status and status not in STATUSES:
        fields["status"] = "状态应为 " + "、".join(STATUSES) + " 之一"
    if fields:
        raise ValidationFailed("查询条件不正确：" + "；".join(fields.values()), fields=fields)
    return scheme or None, status or None


@router.get(
    "",
    response_model=schemas.PayableList,
    summary="应缴费信息（本人或家庭成员）",
    description=(
        "全部状态的应缴费（status 可筛选）。amount_fen 含截至今日（服务时钟，北京时间）的滞纳金，"
        "滞纳金另见 late_fee_fen。"
    ),
    responses=_ERRORS,
)
def payables(
    session: DbSession,  # first: the payer is then found within its step (decision 0016)
    payer: CurrentPayer,
    clock: Clock,
    page: PageParams,
    scheme: SchemeFilter = None,
    status: StatusFilter = None,
    payer_id: PayerFilter = None,
) -> schemas.PayableList:
    scheme_code, status_code = _check_filters(scheme, status)
    person = insured_for(session, payer.person, payer_id)
    listing = list_payables(
        session, person.id, today=clock.today(), scheme=scheme_code, status=status_code, page=page
    )
    return presenters.payable_list(listing, person)


def include(app: FastAPI) -> None:
    app.include_router(router)
