"""The Alipay channel adapter: Alipay open-platform requests, RSA2-signed, to a configurable gateway.

- H5 (and other browsers): `alipay.trade.wap.pay` — a redirect URL to the gateway carrying the signed
  order. Against this deployment's own sandbox the adapter also hands the sandbox that signed order
  (`POST /sandbox/alipay/orders`), so the trade exists as soon as the payment does.
- Alipay mini program: `alipay.trade.create` with the buyer → `trade_no` for `my.tradePay`.
- `alipay.trade.query`, `alipay.trade.close`: answers verified with Alipay's public key.
- Refunds (退费): `alipay.trade.refund` under `out_request_no` (Alipay deduplicates by it: a retry never
  refunds twice) answers within the call; `alipay.trade.fastpay.refund.query` asks about one. Alipay sends
  no refund notification.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode, urljoin

import httpx
from cryptography.hazmat.primitives.asymmetric import rsa

from shebao.channels.alipay import bill, fields, keys, notification, signing
from shebao.channels.base import (
    ChannelDeclined,
    ChannelError,
    ChannelNotification,
    ChannelOrder,
    ChannelPay,
    ChannelRefund,
    ChannelTimeout,
    InvalidNotification,
    RefundNotification,
    RefundState,
    TradeState,
)
from shebao.channels.statements import Statement
from shebao.config import Settings
from shebao.errors import MisconfiguredChannel
from shebao.kit import http
from shebao.kit.clock import real_now
from shebao.kit.money import MoneyError

SUCCESS_CODE = "10000"
TRADE_NOT_EXIST = "ACQ.TRADE_NOT_EXIST"
TRADE_STATUS_ERROR = "ACQ.TRADE_STATUS_ERROR"
# Alipay's "try again" answers: the refund may or may not have been made, so it is sent again, same id.
RETRY_SUB_CODES = frozenset({"ACQ.SYSTEM_ERROR", "aop.ACQ.SYSTEM_ERROR"})
REFUND_SUCCESS = "REFUND_SUCCESS"
_BUYER_ID = re.compile(r"2088\d{12}")  # Alipay user ids; anything else is an OpenID


class AlipayRefused(ChannelError):
    """A signed business answer other than success: `code`, `sub_code` and Alipay's message."""

    def __init__(self, code: str, sub_code: str, sub_msg: str) -> None:
        self.code, self.sub_code, self.sub_msg = code, sub_code, sub_msg
        super().__init__(f"支付宝拒绝了请求：{sub_msg or code}（{sub_code or code}）")


class AlipayAdapter:
    method = "alipay"

    def __init__(
        self,
        *,
        app_id: str,
        gateway: str,
        app_private_key: rsa.RSAPrivateKey,
        alipay_public_key: rsa.RSAPublicKey,
        hand_over_url: str | None = None,
        now: Callable[[], datetime] = real_now,
    ) -> None:
        self.app_id = app_id
        self.gateway = gateway
        self._private_key = app_private_key
        self._alipay_key = alipay_public_key
        self._hand_over_url = hand_over_url
        self._now = now

    # --- the ChannelAdapter interface -------------------------------------------------------------

    def create(self, order: ChannelOrder) -> ChannelPay:
        if order.amount_fen <= 0:
            raise ChannelError("支付金额必须大于0")
        biz: dict[str, Any] = {
            "out_trade_no": order.out_trade_no,
            "total_amount": fields.yuan(order.amount_fen),
            "subject": order.subject,
            "time_expire": fields.format_time(order.expires_at),
        }
        if order.client_channel == "alipay_mp":
            return self._create_for_mini_program(order, biz)
        biz |= {"product_code": "QUICK_WAP_PAY", "quit_url": order.return_url}
        params = self._signed_request(
            "alipay.trade.wap.pay", biz, notify_url=order.notify_url, return_url=order.return_url
        )
        if self._hand_over_url:
            self._hand_over(params)
        separator = "&" if "?" in self.gateway else "?"
        return ChannelPay(kind="redirect", url=self.gateway + separator + urlencode(params), params={})

    def query(self, out_trade_no: str) -> TradeState:
        try:
            answer = self._call("alipay.trade.query", {"out_trade_no": out_trade_no})
        except AlipayRefused as refusal:
            if refusal.sub_code == TRADE_NOT_EXIST:
                return TradeState(out_trade_no, "not_found", None, None, None)
            raise
        if answer.get("out_trade_no") != out_trade_no:
            raise ChannelError("支付宝查询结果与订单号不符")
        status = fields.STATUS_MAP.get(str(answer.get("trade_status")))
        if status is None:
            raise ChannelError(f"支付宝返回了未知的交易状态：{answer.get('trade_status')}")
        try:
            amount_fen = fields.fen(str(answer.get("total_amount")))
            paid_at = fields.parse_time(answer["send_pay_date"]) if answer.get("send_pay_date") else None
        except (MoneyError, ValueError) as exc:
            raise ChannelError("支付宝查询结果格式不正确") from exc
        return TradeState(
            out_trade_no=out_trade_no,
            status=status,
            amount_fen=amount_fen,
            provider_trade_no=answer.get("trade_no") or None,
            paid_at=paid_at if status == "succeeded" else None,
        )

    def close(self, out_trade_no: str) -> bool:
        try:
            self._call("alipay.trade.close", {"out_trade_no": out_trade_no})
        except AlipayRefused as refusal:
            if refusal.sub_code == TRADE_NOT_EXIST:
                return True  # never opened at Alipay (a WAP order nobody took to the cashier)
            if refusal.sub_code == TRADE_STATUS_ERROR:
                # Paid, finished or already closed: only a query tells which.
                return self.query(out_trade_no).status in ("closed", "not_found")
            raise
        return True

    def parse_notification(self, body: bytes, headers: Mapping[str, str]) -> ChannelNotification:
        return notification.parse(body, headers, app_id=self.app_id, key=self._alipay_key)

    def ack_body(self) -> tuple[int, str, str]:
        return 200, "text/plain", "success"

    # --- the RefundingAdapter interface -----------------------------------------------------------

    def refund(self, refund: ChannelRefund) -> RefundState:
        biz: dict[str, Any] = {
            "out_trade_no": refund.out_trade_no,
            "refund_amount": fields.yuan(refund.amount_fen),
            "out_request_no": refund.out_refund_no,
            "refund_reason": refund.reason[:256],
        }
        if refund.provider_trade_no:
            biz["trade_no"] = refund.provider_trade_no
        try:
            answer = self._call("alipay.trade.refund", biz)
        except AlipayRefused as refusal:
            if refusal.sub_code in RETRY_SUB_CODES:
                raise ChannelTimeout(str(refusal)) from refusal
            raise ChannelDeclined(
                f"{refusal.sub_msg or refusal.code}（{refusal.sub_code or refusal.code}）"
            ) from refusal
        if answer.get("out_trade_no") != refund.out_trade_no:
            raise ChannelError("支付宝退款应答与订单号不符")
        # refund_fee is the trade's refunded total: with fund_change "N" a repeated request changed nothing.
        at = answer.get("gmt_refund_pay")
        return RefundState(
            out_refund_no=refund.out_refund_no,
            status="succeeded",
            amount_fen=refund.amount_fen,
            provider_refund_no=str(answer.get("trade_no") or "") or None,
            refunded_at=self._time(at) if at else None,
        )

    def query_refund(self, out_refund_no: str, out_trade_no: str) -> RefundState:
        answer = self._call(
            "alipay.trade.fastpay.refund.query",
            {
                "out_trade_no": out_trade_no,
                "out_request_no": out_refund_no,
                "query_options": ["gmt_refund_pay"],
            },
        )
        amount = answer.get("refund_amount")
        status = answer.get("refund_status")
        if not amount or (status and status != REFUND_SUCCESS):
            # Alipay: no refund found under this request id means no refund was made.
            return RefundState(out_refund_no, "failed", None, None, None, "支付宝查无此退款请求（未退款）")
        try:
            amount_fen = fields.fen(str(amount))
        except MoneyError as exc:
            raise ChannelError("支付宝退款查询结果格式不正确") from exc
        at = answer.get("gmt_refund_pay")
        return RefundState(
            out_refund_no=out_refund_no,
            status="succeeded",
            amount_fen=amount_fen,
            provider_refund_no=str(answer.get("trade_no") or "") or None,
            refunded_at=self._time(at) if at else None,
        )

    def parse_refund_notification(self, body: bytes, headers: Mapping[str, str]) -> RefundNotification:
        raise InvalidNotification("支付宝在退款请求中直接答复结果，不发送退款通知")

    @staticmethod
    def _time(text: object) -> datetime:
        try:
            return fields.parse_time(str(text))
        except ValueError as exc:
            raise ChannelError("支付宝应答的时间格式不正确") from exc

    # --- protocol --------------------------------------------------------------------------------

    def _create_for_mini_program(self, order: ChannelOrder, biz: dict[str, Any]) -> ChannelPay:
        if not order.platform_user_id:
            raise ChannelError("小程序支付需要支付宝用户标识（platform_user_id）")
        buyer_field = "buyer_id" if _BUYER_ID.fullmatch(order.platform_user_id) else "buyer_open_id"
        biz |= {"product_code": "JSAPI_PAY", buyer_field: order.platform_user_id}
        answer = self._call("alipay.trade.create", biz, notify_url=order.notify_url)
        trade_no = answer.get("trade_no")
        if not trade_no or answer.get("out_trade_no") != order.out_trade_no:
            raise ChannelError("支付宝创建交易的应答缺少交易号")
        return ChannelPay(kind="mini_program", url=None, params={"tradeNO": str(trade_no)})

    def statement(self, bill_date: date) -> Statement:
        """The trade bill of a closed day (Beijing time), downloaded and parsed."""
        answer = self._call(
            "alipay.data.dataservice.bill.downloadurl.query",
            {"bill_type": "trade", "bill_date": bill_date.isoformat()},
        )
        url = answer.get("bill_download_url")
        if not isinstance(url, str) or not url:
            raise ChannelError("支付宝对账单下载地址缺失")
        return bill.parse(bill.download(urljoin(self.gateway, url)), bill_date)

    def _signed_request(self, method: str, biz: Mapping[str, Any], **extra: str) -> dict[str, str]:
        params = {
            "app_id": self.app_id,
            "method": method,
            "format": "JSON",
            "charset": "utf-8",
            "sign_type": signing.SIGN_TYPE,
            "timestamp": fields.format_time(self._now()),
            "version": "1.0",
            "biz_content": signing.biz_json(biz),
            **{name: value for name, value in extra.items() if value},
        }
        return signing.signed(params, self._private_key)

    def _post(self, url: str, params: Mapping[str, str]) -> httpx.Response:
        try:
            with http.client() as client:
                response = client.post(
                    url,
                    content=urlencode(params).encode("ascii"),
                    headers={"Content-Type": "application/x-www-form-urlencoded;charset=utf-8"},
                )
        except httpx.HTTPError as exc:
            raise ChannelTimeout(f"支付宝网关无应答：{type(exc).__name__}") from exc
        if response.status_code >= 500:
            # A gateway error may or may not have acted on the request: as unknown as no answer.
            raise ChannelTimeout(f"支付宝网关错误：HTTP {response.status_code}")
        if not response.is_success:
            raise ChannelError(f"支付宝网关拒绝了请求：HTTP {response.status_code}")
        return response

    def _hand_over(self, params: Mapping[str, str]) -> None:
        if not self._hand_over_url:
            raise MisconfiguredChannel("支付宝沙箱的下单地址未配置")
        self._post(self._hand_over_url, params)

    def _call(self, method: str, biz: Mapping[str, Any], **extra: str) -> dict[str, Any]:
        """One gateway request; the answer's content once its signature verified and its code is 10000."""
        body = self._post(self.gateway, self._signed_request(method, biz, **extra)).text
        response_key = method.replace(".", "_") + "_response"
        text = signing.response_text(body, response_key) or signing.response_text(body, "error_response")
        try:
            content = json.loads(text) if text else None
            sign = json.loads(body).get("sign")
        except (json.JSONDecodeError, AttributeError) as exc:
            raise ChannelError("支付宝应答不是有效的 JSON") from exc
        if not isinstance(content, dict):
            raise ChannelError("支付宝应答缺少响应内容")
        code, sub_code = str(content.get("code", "")), str(content.get("sub_code", ""))
        if not sign:
            # Unsigned: nothing in it can be trusted, whatever it says.
            raise ChannelError(f"支付宝应答未签名：{code} {sub_code}".strip())
        if not signing.verify(text or "", str(sign), self._alipay_key):
            raise ChannelError("支付宝应答验签失败")
        if code != SUCCESS_CODE:
            raise AlipayRefused(code, sub_code, str(content.get("sub_msg") or content.get("msg") or ""))
        return content


def alipay_adapter(settings: Settings, *, now: Callable[[], datetime] = real_now) -> AlipayAdapter:
    """The adapter for these settings (dev keys and the sandbox gateway outside production)."""
    gateway = keys.gateway(settings)
    hand_over = gateway.removesuffix("gateway.do") + "orders" if keys.is_sandbox_gateway(settings) else None
    return AlipayAdapter(
        app_id=keys.app_id(settings),
        gateway=gateway,
        app_private_key=keys.app_private_key(settings),
        alipay_public_key=keys.alipay_public_key(settings),
        hand_over_url=hand_over,
        now=now,
    )
