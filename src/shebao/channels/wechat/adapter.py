"""The WeChat Pay channel adapter: API v3 requests signed WECHATPAY2-SHA256-RSA2048 to a configurable
gateway, answers and callbacks verified with the platform key chosen by `Wechatpay-Serial`.

- WeChat mini program: `POST /v3/pay/transactions/jsapi` with the payer's openid → `prepay_id`, answered
  as the signed parameters of `wx.requestPayment`.
- H5 (any other browser): `POST /v3/pay/transactions/h5` → `h5_url`, where the browser goes to pay and
  from where it comes back to `redirect_url` (our result page).
- Query by out_trade_no, close; a 5xx or no answer is a timeout, never a refusal.
- Refunds (`refund`, `query_refund`, `parse_refund_notification`; `refund.py`).
- The trade bill of a closed day (`statement`, `bill.py`), for reconciliation.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

import httpx
from cryptography.hazmat.primitives.asymmetric import rsa

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
from shebao.channels.wechat import bill, fields, keys, notification, signing
from shebao.channels.wechat import refund as wechat_refund
from shebao.config import Settings
from shebao.kit import http
from shebao.kit.clock import real_now

ORDER_NOT_EXIST = "ORDER_NOT_EXIST"
# ChannelOrder does not carry the payer's address; WeChat Pay wants one for H5 orders.
H5_CLIENT_IP = "127.0.0.1"


class WechatRefused(ChannelError):
    """A verified answer other than success: WeChat Pay's `code` and its message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        self.status, self.code, self.wechat_message = status, code, message
        super().__init__(f"微信支付拒绝了请求：{message or code}（{code}）")


class WechatAdapter:
    method = "wechat"

    def __init__(
        self,
        *,
        mchid: str,
        appid: str,
        gateway: str,
        private_key: rsa.RSAPrivateKey,
        cert_serial: str,
        apiv3_key: str,
        platform_keys: Mapping[str, rsa.RSAPublicKey],
        now: Callable[[], datetime] = real_now,
    ) -> None:
        self.mchid = mchid
        self.appid = appid
        self.gateway = gateway.rstrip("/")
        self._private_key = private_key
        self._cert_serial = cert_serial
        self._apiv3_key = apiv3_key
        self._platform_keys = dict(platform_keys)
        self._now = now

    # --- the ChannelAdapter interface -------------------------------------------------------------

    def create(self, order: ChannelOrder) -> ChannelPay:
        if order.amount_fen <= 0:
            raise ChannelError("支付金额必须大于0")
        body: dict[str, Any] = {
            "appid": self.appid,
            "mchid": self.mchid,
            "description": order.subject[:127],
            "out_trade_no": order.out_trade_no,
            "time_expire": fields.format_time(order.expires_at),
            "notify_url": order.notify_url,
            "amount": {"total": order.amount_fen, "currency": "CNY"},
        }
        if order.client_channel == "wechat_mp":
            return self._create_jsapi(order, body)
        body["scene_info"] = {"payer_client_ip": H5_CLIENT_IP, "h5_info": {"type": "Wap"}}
        answer = self._call("POST", "/v3/pay/transactions/h5", body)
        h5_url = answer.get("h5_url")
        if not isinstance(h5_url, str) or not h5_url.startswith(("https://", "http://")):
            raise ChannelError("微信支付下单应答缺少 h5_url")
        separator = "&" if "?" in h5_url else "?"
        url = f"{h5_url}{separator}redirect_url={quote(order.return_url, safe='')}"
        return ChannelPay(kind="redirect", url=url, params={})

    def query(self, out_trade_no: str) -> TradeState:
        path = f"/v3/pay/transactions/out-trade-no/{quote(out_trade_no, safe='')}?mchid={self.mchid}"
        try:
            answer = self._call("GET", path, None)
        except WechatRefused as refusal:
            if refusal.code == ORDER_NOT_EXIST:
                return TradeState(out_trade_no, "not_found", None, None, None)
            raise
        if answer.get("out_trade_no") != out_trade_no or answer.get("mchid") != self.mchid:
            raise ChannelError("微信支付查询结果与订单不符")
        status = fields.STATUS_MAP.get(str(answer.get("trade_state")))
        if status is None:
            raise ChannelError(f"微信支付返回了未知的交易状态：{answer.get('trade_state')}")
        try:
            amount_fen = fields.total_fen(answer.get("amount"))
            success = answer.get("success_time")
            paid_at = fields.parse_time(str(success)) if success and status == "succeeded" else None
        except ValueError as exc:
            raise ChannelError("微信支付查询结果格式不正确") from exc
        return TradeState(
            out_trade_no=out_trade_no,
            status=status,
            amount_fen=amount_fen,
            provider_trade_no=str(answer.get("transaction_id") or "") or None,
            paid_at=paid_at,
        )

    def close(self, out_trade_no: str) -> bool:
        path = f"/v3/pay/transactions/out-trade-no/{quote(out_trade_no, safe='')}/close"
        try:
            self._call("POST", path, {"mchid": self.mchid})
        except WechatRefused as refusal:
            if refusal.code == ORDER_NOT_EXIST:
                return True
            # Paid (ORDERPAID), or a state WeChat Pay will not close from: only a query tells which.
            return self.query(out_trade_no).status in ("closed", "not_found")
        return True

    def parse_notification(self, body: bytes, headers: Mapping[str, str]) -> ChannelNotification:
        return notification.parse(
            body,
            headers,
            mchid=self.mchid,
            appid=self.appid,
            apiv3_key=self._apiv3_key,
            keys=self._platform_keys,
            now=self._now(),
        )

    def ack_body(self) -> tuple[int, str, str]:
        # API v3: 200 or 204 tells WeChat Pay the callback arrived; no body needed.
        return 204, "text/plain", ""

    # --- the RefundingAdapter interface (refund.py) -------------------------------------------------

    def refund(self, refund: ChannelRefund) -> RefundState:
        """申请退款; the same out_refund_no again answers the refund already made, never a second one."""
        try:
            answer = self._call("POST", wechat_refund.PATH, wechat_refund.request_body(refund))
        except WechatRefused as refusal:
            if refusal.code in wechat_refund.DECLINES:
                raise ChannelDeclined(
                    f"微信支付拒绝退款：{refusal.wechat_message or refusal.code}"
                ) from refusal
            raise
        return wechat_refund.state(answer, refund.out_refund_no)

    def query_refund(self, out_refund_no: str, out_trade_no: str) -> RefundState:
        """查询单笔退款. A refund WeChat Pay never received is `failed`: nothing was given back."""
        try:
            answer = self._call("GET", f"{wechat_refund.PATH}/{quote(out_refund_no, safe='')}", None)
        except WechatRefused as refusal:
            if refusal.code == wechat_refund.NOT_FOUND:
                return RefundState(out_refund_no, "failed", None, None, None, "微信支付没有收到该退款申请")
            raise
        if answer.get("out_trade_no") not in (None, out_trade_no):
            raise ChannelError("微信支付退款查询结果与原订单不符")
        return wechat_refund.state(answer, out_refund_no)

    def parse_refund_notification(self, body: bytes, headers: Mapping[str, str]) -> RefundNotification:
        return wechat_refund.parse_notification(
            body,
            headers,
            mchid=self.mchid,
            apiv3_key=self._apiv3_key,
            keys=self._platform_keys,
            now=self._now(),
        )

    def statement(self, bill_date: date) -> Statement:
        """The trade bill (bill_type ALL) of a closed day (Beijing time), downloaded, its SHA1 checked,
        parsed."""
        answer = self._call(
            "GET", f"/v3/bill/tradebill?bill_date={bill_date.isoformat()}&bill_type=ALL", None
        )
        url = answer.get("download_url")
        if not isinstance(url, str) or not url.startswith(self.gateway + "/"):
            raise ChannelError("微信支付对账单下载地址缺失或不属于支付网关")
        raw = self._download(url.removeprefix(self.gateway))
        if not bill.sha1_matches(raw, answer.get("hash_type"), answer.get("hash_value")):
            raise ChannelError("微信支付对账单摘要校验失败")
        return bill.parse(raw, bill_date)

    # --- protocol --------------------------------------------------------------------------------

    def _create_jsapi(self, order: ChannelOrder, body: dict[str, Any]) -> ChannelPay:
        if not order.platform_user_id:
            raise ChannelError("小程序支付需要付款人的 openid（platform_user_id）")
        body["payer"] = {"openid": order.platform_user_id}
        prepay_id = self._call("POST", "/v3/pay/transactions/jsapi", body).get("prepay_id")
        if not isinstance(prepay_id, str) or not prepay_id:
            raise ChannelError("微信支付下单应答缺少 prepay_id")
        return ChannelPay(kind="mini_program", url=None, params=self.pay_params(prepay_id))

    def pay_params(self, prepay_id: str) -> dict[str, str]:
        """What `wx.requestPayment` takes, signed with the merchant key (小程序调起支付签名)."""
        timestamp, nonce, package = (
            str(int(self._now().timestamp())),
            signing.new_nonce(),
            f"prepay_id={prepay_id}",
        )
        return {
            "appId": self.appid,
            "timeStamp": timestamp,
            "nonceStr": nonce,
            "package": package,
            "signType": "RSA",
            "paySign": signing.pay_sign(self.appid, timestamp, nonce, package, self._private_key),
        }

    def _request(self, method: str, path: str, text: str, *, accept: str) -> httpx.Response:
        """The request signed over `path` (with its query, below the gateway) and sent; a 5xx or no answer
        is a timeout."""
        authorization = signing.authorization(
            mchid=self.mchid,
            serial_no=self._cert_serial,
            key=self._private_key,
            method=method,
            url=path,
            body=text,
            timestamp=str(int(self._now().timestamp())),
            nonce=signing.new_nonce(),
        )
        headers = {"Authorization": authorization, "Accept": accept}
        if text:
            headers["Content-Type"] = "application/json"
        try:
            with http.client() as client:
                response = client.request(
                    method, self.gateway + path, content=text.encode("utf-8"), headers=headers
                )
        except httpx.HTTPError as exc:
            raise ChannelTimeout(f"微信支付无应答：{type(exc).__name__}") from exc
        if response.status_code >= 500:
            raise ChannelTimeout(f"微信支付网关错误：HTTP {response.status_code}")
        return response

    def _download(self, path: str) -> bytes:
        """下载账单: a signed GET whose file answer WeChat Pay does not sign (the bill's SHA1 vouches for
        it); an error answer is signed JSON like any other."""
        response = self._request("GET", path, "", accept="*/*")
        if response.is_success:
            return response.content
        self._verified(response)  # raises WechatRefused with WeChat Pay's code, or a ChannelError
        raise ChannelError(f"微信支付对账单下载失败：HTTP {response.status_code}")

    def _call(self, method: str, path: str, body: Mapping[str, Any] | None) -> dict[str, Any]:
        """One API request; the JSON answer once its signature verified and its status is 2xx.

        The URL signed is `path` with its query, below the gateway: what WeChat Pay signs without the host,
        and what a sandbox mounted under a prefix checks."""
        text = json.dumps(body, ensure_ascii=False, separators=(",", ":")) if body is not None else ""
        return self._verified(self._request(method, path, text, accept="application/json"))

    def _verified(self, response: httpx.Response) -> dict[str, Any]:
        try:
            answer_text = notification.check_signed(
                response.content, response.headers, keys=self._platform_keys, now=self._now()
            )
        except InvalidNotification as exc:
            raise ChannelError(f"微信支付应答验签失败（HTTP {response.status_code}）：{exc.reason}") from exc
        try:
            content = json.loads(answer_text) if answer_text else {}
        except json.JSONDecodeError as exc:
            raise ChannelError("微信支付应答不是有效的 JSON") from exc
        if not isinstance(content, dict):
            raise ChannelError("微信支付应答不是 JSON 对象")
        if not response.is_success:
            raise WechatRefused(
                response.status_code, str(content.get("code", "")), str(content.get("message", ""))
            )
        return content


def wechat_adapter(settings: Settings, *, now: Callable[[], datetime] = real_now) -> WechatAdapter:
    """The adapter for these settings (dev keys and the sandbox gateway outside production)."""
    return WechatAdapter(
        mchid=keys.mchid(settings),
        appid=keys.appid(settings),
        gateway=keys.gateway(settings),
        private_key=keys.merchant_private_key(settings),
        cert_serial=keys.cert_serial(settings),
        apiv3_key=keys.apiv3_key(settings),
        platform_keys=keys.platform_keys(settings),
        now=now,
    )
