"""退费 in the console: the JSON API under /api/v1/console/refunds and the pages under /console/refunds.

Thin: the rules (maker-checker, amounts, tax offices) are the refund service's. Every action is audited
with the operator (`Staff.actor`); another tax office's refund is a 404.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, FastAPI, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from shebao.console.deps import AnyStaff, ApproverStaff, OperatorStaff
from shebao.console.staff import Role, Staff
from shebao.deps import DbSession, RuntimeDep, Work, WriteSession
from shebao.errors import ShebaoError, ValidationFailed
from shebao.kit.money import MoneyError, yuan_to_fen
from shebao.kit.pagination import PageParams, PageRequest
from shebao.kit.params import RefundID
from shebao.payments.refunds import FAILED, PENDING, PROPOSED, STATUS_LABELS, Refund
from shebao.refunds import presenters, schemas, service
from shebao.refunds.errors import RefundNotFound
from shebao.refunds.repository import RefundRepository
from shebao.web.openapi import errors
from shebao.web.security import csrf_protect
from shebao.web.templating import render

api = APIRouter(prefix="/api/v1/console/refunds", tags=["console"])
pages = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])

StatusFilter = Annotated[
    schemas.RefundStatusName | None,
    Query(description="按状态筛选：pending | proposed | sending | succeeded | failed；不填为全部"),
]
_AUTHED = errors(s401="未登录或登录已过期", s403="角色无权办理，或尚未修改初始密码")
_NOT_FOUND = errors(s404="退费记录不存在（或属于其他税务所）")


def _visible(session: Session, staff: Staff, refund_id: RefundID) -> Refund:
    refund = RefundRepository(session).get(refund_id)
    if refund is None or not staff.sees_office(refund.tax_office_code):
        raise RefundNotFound()
    return refund


def _page(session: Session, staff: Staff, status: str | None, page: PageRequest) -> schemas.RefundList:
    found, next_cursor = RefundRepository(session).page(
        page, status=status, offices=staff.office_filter(Refund.tax_office_code)
    )
    return schemas.RefundList(items=[presenters.item(session, r) for r in found], next_cursor=next_cursor)


# --- the JSON API -------------------------------------------------------------------------------


@api.get(
    "", response_model=schemas.RefundList, summary="退费列表（本税务所；按状态筛选，分页）", responses=_AUTHED
)
def list_refunds(
    staff: AnyStaff, session: DbSession, page: PageParams, status: StatusFilter = None
) -> schemas.RefundList:
    return _page(session, staff, status, page)


@api.get(
    "/{refund_id}",
    response_model=schemas.RefundDetail,
    summary="退费详情",
    responses={**_AUTHED, **_NOT_FOUND},
)
def refund_detail(refund_id: RefundID, staff: AnyStaff, session: DbSession) -> schemas.RefundDetail:
    return presenters.detail(session, _visible(session, staff, refund_id))


@api.post(
    "/{refund_id}/propose",
    response_model=schemas.RefundDetail,
    summary="提出退费（经办员及以上；须填写原因）",
    responses={
        **_AUTHED,
        **_NOT_FOUND,
        **errors(
            s409="该退费当前状态不能提出（已提出、处理中或已退款）", s422="原因为空，或金额超过原缴款金额"
        ),
    },
)
def propose(
    refund_id: RefundID,
    body: schemas.ProposeIn,
    staff: OperatorStaff,
    session: WriteSession,
    runtime: RuntimeDep,
) -> schemas.RefundDetail:
    refund = service.propose(
        session,
        refund_id,
        reason=body.reason,
        amount_fen=body.amount_fen,
        actor=staff.actor,
        sees=staff.sees_office,
        now=runtime.clock.now(),
    )
    return presenters.detail(session, refund)


@api.post(
    "/{refund_id}/approve",
    response_model=schemas.RefundDetail,
    summary="审核通过并原路退回（审核员或管理员，且不是提出人）",
    responses={
        **_AUTHED,
        **_NOT_FOUND,
        **errors(s409="提出人不能审核自己提出的退费；或该退费已审核、尚未提出；或该渠道不能原路退回"),
    },
)
def approve(
    refund_id: RefundID, staff: ApproverStaff, runtime: RuntimeDep, work: Work
) -> schemas.RefundDetail:
    service.approve(runtime, refund_id, actor=staff.actor, sees=staff.sees_office, work=work)
    with work.read() as session:
        return presenters.detail(session, _visible(session, staff, refund_id))


# --- the pages ------------------------------------------------------------------------------------

PageStatus = Annotated[Literal["", "pending", "proposed", "sending", "succeeded", "failed"], Query()]


@pages.get("/console/refunds", response_class=HTMLResponse)
def refunds_page(
    request: Request, staff: AnyStaff, session: DbSession, page: PageParams, status: PageStatus = ""
) -> HTMLResponse:
    listed = _page(session, staff, status or None, page)
    context = {
        "title": "退费审核",
        "listed": listed,
        "status": status,
        "statuses": STATUS_LABELS,
        "cursor_query": {"status": status, "cursor": listed.next_cursor} if listed.next_cursor else None,
    }
    return render(request, "console/refunds.html", context)


def _detail_page(
    request: Request,
    session: Session,
    staff: Staff,
    refund_id: RefundID,
    *,
    error: ShebaoError | None = None,
    values: dict[str, str] | None = None,
    done: str = "",
) -> HTMLResponse:
    refund = _visible(session, staff, refund_id)
    shown = presenters.detail(session, refund)
    context = {
        "title": "退费详情",
        "refund": shown,
        "may_propose": refund.status in (PENDING, FAILED) and staff.at_least(Role.OPERATOR),
        "may_approve": refund.status == PROPOSED and staff.at_least(Role.APPROVER),
        "own_proposal": refund.proposed_by == staff.username,
        "error": error,
        "values": values or {"reason": "", "amount_yuan": ""},
        "done": {
            "proposed": "已提出，等待另一位审核员审核。",
            "approved": "已审核，退费已发送至原渠道。",
        }.get(done, ""),
    }
    return render(request, "console/refund.html", context, status_code=error.status_code if error else 200)


@pages.get("/console/refunds/{refund_id}", response_class=HTMLResponse)
def refund_page(
    refund_id: RefundID, request: Request, staff: AnyStaff, session: DbSession, done: str = ""
) -> HTMLResponse:
    return _detail_page(request, session, staff, refund_id, done=done)


def _amount(text: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    try:
        return yuan_to_fen(text)
    except MoneyError as exc:
        raise ValidationFailed(
            "退费金额格式不正确：以元为单位，最多两位小数", fields={"amount_yuan": "金额格式不正确"}
        ) from exc


@pages.post("/console/refunds/{refund_id}/propose", response_class=HTMLResponse)
def propose_form(
    refund_id: RefundID,
    request: Request,
    staff: OperatorStaff,
    runtime: RuntimeDep,
    work: Work,
    reason: Annotated[str, Form(max_length=200)] = "",
    amount_yuan: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    try:
        with work.step() as step:
            service.propose(
                step.session,
                refund_id,
                reason=reason,
                amount_fen=_amount(amount_yuan),
                actor=staff.actor,
                sees=staff.sees_office,
                now=step.now,
            )
    except RefundNotFound:
        raise
    except ShebaoError as error:
        with work.read() as session:
            values = {"reason": reason, "amount_yuan": amount_yuan}
            return _detail_page(request, session, staff, refund_id, error=error, values=values)
    return RedirectResponse(f"/console/refunds/{refund_id}?done=proposed", status_code=303)


@pages.post("/console/refunds/{refund_id}/approve", response_class=HTMLResponse)
def approve_form(
    refund_id: RefundID, request: Request, staff: ApproverStaff, runtime: RuntimeDep, work: Work
) -> Response:
    try:
        service.approve(runtime, refund_id, actor=staff.actor, sees=staff.sees_office, work=work)
    except RefundNotFound:
        raise
    except ShebaoError as error:
        with work.read() as session:
            return _detail_page(request, session, staff, refund_id, error=error)
    return RedirectResponse(f"/console/refunds/{refund_id}?done=approved", status_code=303)


def include(app: FastAPI) -> None:
    app.include_router(api)
    app.include_router(pages)
