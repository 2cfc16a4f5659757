"""The simulated UnionPay's side of the 5.1.0 protocol: reading a form, checking the merchant's
signature and certId, answering `k=v&…` text signed with the sandbox's own key."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response

from shebao.channels.unionpay import fields, keys, signing
from shebao.config import Settings
from shebao.errors import BadRequest, Inconsistent
from shebao.kit.clock import to_shanghai
from shebao.sandbox.unionpay.models import FAILED, PAID, SandboxUnionpayTrade
from shebao.sandbox.unionpay.trades import TradeRefused

MAX_BODY = 64 * 1024
SANDBOX_CERT_ID = "69042905377"  # UnionPay's test signing certificate
OK = "成功[0000000]"

Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])


def text_route(router: APIRouter, path: str, summary: str) -> Callable[[Endpoint], Endpoint]:
    """A POST of the gateway (`path`) whose every answer is signed `k=v&…` text."""
    return router.post(
        path,
        summary=f"{summary}（应答为 key=value& 报文）",
        response_model=None,
        response_class=PlainTextResponse,
    )


async def form_params(request: Request) -> dict[str, str]:
    body = await request.body()
    if len(body) > MAX_BODY:
        raise BadRequest("请求内容过大")
    try:
        return fields.form(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadRequest("请求参数格式不正确：应为 UTF-8 编码、参数不重复的表单") from exc


def check_request(params: dict[str, str], settings: Settings) -> None:
    """The merchant's request, once it proves to be the configured merchant's."""
    if not params.get("signature"):
        raise TradeRefused("11", "验证签名失败：缺少 signature")
    if params.get("version") != fields.VERSION:
        raise TradeRefused("30", "报文格式错误：version 应为 5.1.0")
    if params.get("signMethod") != signing.SIGN_METHOD:
        raise TradeRefused("30", "报文格式错误：signMethod 应为 01")
    if params.get("merId") != keys.mer_id(settings):
        raise TradeRefused("31", "商户状态不正确：商户号不存在")
    if params.get("certId") != keys.cert_id(settings):
        raise TradeRefused("11", "验证签名失败：certId 与商户签名证书不符")
    if not signing.verify(params, keys.merchant_public_key(settings)):
        raise TradeRefused("11", "验证签名失败")


def common(settings: Settings, txn_type: str, biz_type: str) -> dict[str, str]:
    """The fields every message of the sandbox carries: a consumption's txnSubType is 01, the others' 00."""
    return {
        "version": fields.VERSION,
        "encoding": fields.ENCODING,
        "signMethod": signing.SIGN_METHOD,
        "certId": SANDBOX_CERT_ID,
        "accessType": "0",
        "merId": keys.mer_id(settings),
        "txnType": txn_type,
        "txnSubType": "01" if txn_type == fields.TXN_CONSUME else "00",
        "bizType": biz_type,
    }


def _paid_fields(trade: SandboxUnionpayTrade) -> dict[str, str]:
    if trade.paid_at is None:
        raise Inconsistent("沙箱交易已付款却没有付款时间")
    paid = to_shanghai(trade.paid_at)
    return {
        "queryId": trade.query_id,
        "traceNo": trade.trace_no or "",
        "traceTime": paid.strftime("%m%d%H%M%S"),
        "settleAmt": str(trade.amount_fen),
        "settleCurrencyCode": fields.CURRENCY_CNY,
        "settleDate": paid.strftime("%m%d"),
        "txnAmt": str(trade.amount_fen),
        "currencyCode": fields.CURRENCY_CNY,
    }


def query_answer(
    settings: Settings, params: dict[str, str], trade: SandboxUnionpayTrade | None
) -> dict[str, str]:
    """queryTrans.do: 34 until the order was paid or failed (UnionPay records a gateway order only then)."""
    answer = {
        **common(settings, fields.TXN_QUERY, "000000"),
        "orderId": params.get("orderId", ""),
        "txnTime": params.get("txnTime", ""),
    }
    if trade is None or trade.status not in (PAID, FAILED):
        return answer | {"respCode": fields.NOT_FOUND, "respMsg": "查无此交易[2011000]"}
    answer |= {
        "respCode": fields.SUCCESS,
        "respMsg": OK,
        "queryId": trade.query_id,
        "txnAmt": str(trade.amount_fen),
    }
    if trade.status == FAILED:
        return answer | {"origRespCode": "01", "origRespMsg": "交易失败[持卡人取消支付]"}
    return answer | _paid_fields(trade) | {"origRespCode": fields.SUCCESS, "origRespMsg": OK}


def notification_params(settings: Settings, trade: SandboxUnionpayTrade) -> dict[str, str]:
    """The signed back notification of a paid order (后台通知)."""
    params = {
        **common(settings, fields.TXN_CONSUME, fields.BIZ_GATEWAY),
        "orderId": trade.order_id,
        "txnTime": trade.txn_time,
        "respCode": fields.SUCCESS,
        "respMsg": OK,
        **_paid_fields(trade),
    }
    return signing.signed(params, keys.sandbox_private_key(settings))


def answer(settings: Settings, params: dict[str, str]) -> Response:
    text = fields.answer_text(signing.signed(params, keys.sandbox_private_key(settings)))
    return Response(content=text.encode("utf-8"), media_type="text/plain;charset=UTF-8")


def refusal(settings: Settings, params: dict[str, str], refused: TradeRefused) -> Response:
    echo = {name: params[name] for name in ("orderId", "txnTime", "txnType") if params.get(name)}
    return answer(
        settings,
        {
            **common(settings, fields.TXN_QUERY, "000000"),
            **echo,
            "respCode": refused.code,
            "respMsg": refused.message,
        },
    )
