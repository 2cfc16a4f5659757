"""`/sandbox/wechat/v3/refund/domestic/refunds`: WeChat Pay's 申请退款 and 查询单笔退款 (API v3) as the
adapter calls them, signed like every v3 call; the refund switches (`/sandbox/wechat/refunds/faults`) can
make the next requests time out, acted on or lost."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from shebao.channels.wechat import keys
from shebao.deps import DbSession, WriteSession
from shebao.sandbox import refunds
from shebao.sandbox.wechat import notifier, protocol, refund_ledger
from shebao.sandbox.wechat.models import SandboxWechatRefund
from shebao.sandbox.wechat.protocol import Call
from shebao.sandbox.wechat.trades import OrderRefused

router = APIRouter(prefix="/v3/refund/domestic", responses=protocol.ERROR_RESPONSES)


@router.post("/refunds", summary="微信支付沙箱：申请退款", response_model=None)
def create(call: Call, session: WriteSession) -> Response:
    fault = refunds.take_fault(session, refund_ledger.PROVIDER)
    if fault == "lost":  # never arrived: nothing done
        return refunds.gateway_timeout()

    def act(checked: dict[str, Any] | None) -> tuple[int, dict[str, Any]]:
        refund, trade = refund_ledger.open_refund(
            session,
            checked or {},
            mchid=keys.mchid(call.runtime.settings),
            now=call.now,
            later=refunds.answers_later(session, refund_ledger.PROVIDER),
        )
        notifier.REFUND_DESK.courier.deliver_after_commit(session, refund)
        return 200, refund_ledger.answer(refund, trade)

    answered = call.answer(act)
    return (
        refunds.gateway_timeout() if fault == "timeout" else answered
    )  # acted on and committed; the answer is lost


@router.get("/refunds/{out_refund_no}", summary="微信支付沙箱：查询单笔退款", response_model=None)
def query(out_refund_no: str, call: Call, session: DbSession) -> Response:
    def act(_: dict[str, Any] | None) -> tuple[int, dict[str, Any]]:
        refund = refunds.find(session, SandboxWechatRefund, out_refund_no)
        if refund is None:
            raise OrderRefused(404, "RESOURCE_NOT_EXISTS", "退款单不存在")
        return 200, refund_ledger.answer(refund, refund_ledger.trade_of(session, refund))

    return call.answer(act)
