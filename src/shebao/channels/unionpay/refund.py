"""UnionPay's 退货 (online gateway 5.1.0) in the refund protocol's terms (`channels/base.RefundingAdapter`).

- 退货 `backTransReq.do`: txnType 04, txnSubType 00, bizType 000201, orderId = our refund request id,
  txnTime, txnAmt, origQryId (the paid order's queryId), backUrl, and reqReserved = the paid order's
  orderId (UnionPay echoes it in the answer, the query and the back notification). respCode 00 only says
  the 退货 was accepted: the outcome comes by back notification or by query. A repeated orderId is 重复交易
  (12): nothing new happens, and the query says where the first one stands.
- Query (`queryTrans.do`, txnType 00) by the refund's orderId and txnTime: origRespCode 00 refunded,
  03/04/05 processing, anything else failed.
- txnTime: UnionPay finds a transaction by orderId *and* txnTime, and the refund protocol names a refund
  by its request id alone, so the time is read from that id (`fields.refund_txn_time`): a retry and a
  query name the very transaction the first request made.
"""

from __future__ import annotations

from collections.abc import Mapping

from cryptography.hazmat.primitives.asymmetric import rsa

from shebao.channels.base import (
    ChannelError,
    ChannelRefund,
    InvalidNotification,
    RefundNotification,
    RefundState,
)
from shebao.channels.unionpay import fields, notification


def txn_time(out_refund_no: str) -> str:
    found = fields.refund_txn_time(out_refund_no)
    if found is None or not fields.is_order_id(out_refund_no):
        raise ChannelError("该退款单号不是本系统的银联退货订单号（应为 RF 开头的32位字母数字）")
    return found


def request(refund: ChannelRefund) -> dict[str, str]:
    if not 0 < refund.amount_fen <= refund.total_fen:
        raise ChannelError("退款金额必须大于0且不超过原支付金额")
    if not refund.provider_trade_no:
        raise ChannelError("银联退货需要原交易的查询流水号（queryId）")
    return {
        "txnType": fields.TXN_REFUND,
        "txnSubType": "00",
        "bizType": fields.BIZ_GATEWAY,
        "channelType": "07",
        "orderId": refund.out_refund_no,
        "txnTime": txn_time(refund.out_refund_no),
        "txnAmt": str(refund.amount_fen),
        "currencyCode": fields.CURRENCY_CNY,
        "origQryId": refund.provider_trade_no,
        "backUrl": refund.notify_url,
        "reqReserved": refund.out_trade_no,
    }


def query_request(out_refund_no: str) -> dict[str, str]:
    return {
        "txnType": fields.TXN_QUERY,
        "txnSubType": "00",
        "bizType": "000000",
        "channelType": "07",
        "orderId": out_refund_no,
        "txnTime": txn_time(out_refund_no),
    }


def _amount(answer: Mapping[str, str]) -> int | None:
    try:
        return fields.fen(answer["txnAmt"]) if answer.get("txnAmt") else None
    except ValueError as exc:
        raise ChannelError("银联退货应答金额格式不正确") from exc


def accepted(answer: Mapping[str, str], out_refund_no: str) -> RefundState:
    """退货's answer of respCode 00: accepted, on its way."""
    if answer.get("orderId") != out_refund_no:
        raise ChannelError("银联退货应答与退款单号不符")
    return RefundState(out_refund_no, "pending", _amount(answer), answer.get("queryId") or None, None)


def queried(answer: Mapping[str, str], out_refund_no: str) -> RefundState:
    """The query's answer of respCode 00 for a 退货."""
    if answer.get("orderId") != out_refund_no:
        raise ChannelError("银联查询结果与退款单号不符")
    original = answer.get("origRespCode", "")
    amount_fen, refund_no = _amount(answer), answer.get("queryId") or None
    if original in fields.SUCCESS_CODES:
        return RefundState(out_refund_no, "succeeded", amount_fen, refund_no, None)
    if original in fields.PROCESSING_CODES:
        return RefundState(out_refund_no, "pending", amount_fen, refund_no, None)
    reason = f"银联退货失败：{answer.get('origRespMsg', '') or original}"
    return RefundState(out_refund_no, "failed", amount_fen, refund_no, None, reason)


def parse_notification(
    body: bytes, headers: Mapping[str, str], *, mer_id: str, key: rsa.RSAPublicKey
) -> RefundNotification:
    """A 退货's back notification, verified over every field with UnionPay's key."""
    params = notification.verified_form(body, headers, notification.REQUIRED, mer_id=mer_id, key=key)
    if params["txnType"] != fields.TXN_REFUND:
        raise InvalidNotification(f"format: txnType {params['txnType']} is not a 退货")
    if not params.get("reqReserved"):
        raise InvalidNotification("format: missing reqReserved (the refunded order)")
    succeeded = params["respCode"] in fields.SUCCESS_CODES
    return RefundNotification(
        event_id=f"{params['queryId']}:{params['respCode']}",
        out_refund_no=params["orderId"],
        out_trade_no=params["reqReserved"],
        amount_fen=notification.amount_fen(params),
        status="succeeded" if succeeded else "failed",
        provider_refund_no=params["queryId"],
        refunded_at=None,  # traceTime has no year; the core records when it learnt of it
        raw=notification.unsigned(params),
    )
