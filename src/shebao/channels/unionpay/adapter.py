"""The UnionPay channel adapter: the online gateway (全渠道, version 5.1.0), signed with the merchant's
signing certificate key, answers and back notifications verified with UnionPay's key.

- Payment (消费, bizType 000201): the signed front form, which the browser must POST to the gateway. The
  adapter answers a redirect to our own page that posts it (`front.py`). Against this deployment's own
  sandbox it also hands the sandbox that signed form, so the trade exists as soon as the payment does.
- Query (`queryTrans.do`) by orderId and txnTime; there is no close for an unpaid gateway order (see
  `close`).
- 退货 (`refund`, `query_refund`, `parse_refund_notification`; `refund.py`).
- The reconciliation file of a settlement day (`statement`, 文件传输 `fileTransfer.do`, `bill.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from urllib.parse import urlencode

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
    RefundNotification,
    RefundState,
    TradeState,
    TradeStatus,
)
from shebao.channels.statements import Statement
from shebao.channels.unionpay import bill, fields, keys, notification, signing
from shebao.channels.unionpay import refund as unionpay_refund
from shebao.config import Settings
from shebao.kit import http
from shebao.kit.clock import real_now

FORM_TYPE = "application/x-www-form-urlencoded;charset=utf-8"
FRONT_PAGE_PATH = "/pay/unionpay/front"


class UnionpayRefused(ChannelError):
    """A verified answer other than success: UnionPay's `respCode` and `respMsg`."""

    def __init__(self, code: str, message: str) -> None:
        self.code, self.resp_msg = code, message
        super().__init__(f"银联拒绝了请求：{message or code}（{code}）")


class UnionpayAdapter:
    method = "unionpay"

    def __init__(
        self,
        *,
        mer_id: str,
        cert_id: str,
        gateway: str,
        sign_key: rsa.RSAPrivateKey,
        verify_key: rsa.RSAPublicKey,
        front_page_url: str,
        hand_over_url: str | None = None,
        now: Callable[[], datetime] = real_now,
    ) -> None:
        self.mer_id = mer_id
        self.cert_id = cert_id
        self.gateway = gateway.rstrip("/")
        self._sign_key = sign_key
        self._verify_key = verify_key
        self._front_page_url = front_page_url
        self._hand_over_url = hand_over_url
        self._now = now

    @property
    def front_url(self) -> str:
        return self.gateway + keys.FRONT_PATH

    # --- the ChannelAdapter interface -------------------------------------------------------------

    def create(self, order: ChannelOrder) -> ChannelPay:
        if order.amount_fen <= 0:
            raise ChannelError("支付金额必须大于0")
        txn_time = fields.txn_time(order.out_trade_no)
        if txn_time is None or not fields.is_order_id(order.out_trade_no):
            raise ChannelError("银联商户订单号应为8至32位字母数字，并以下单时间开头")
        params = self._signed(
            {
                "txnType": fields.TXN_CONSUME,
                "txnSubType": "01",
                "bizType": fields.BIZ_GATEWAY,
                "channelType": "08",  # mobile
                "orderId": order.out_trade_no,
                "txnTime": txn_time,
                "txnAmt": str(order.amount_fen),
                "currencyCode": fields.CURRENCY_CNY,
                "frontUrl": order.return_url,
                "backUrl": order.notify_url,
                "payTimeout": fields.format_time(order.expires_at),
            }
        )
        if self._hand_over_url:
            self._post(self._hand_over_url, params)
        return ChannelPay(kind="redirect", url=f"{self._front_page_url}?{urlencode(params)}", params={})

    def query(self, out_trade_no: str) -> TradeState:
        txn_time = fields.txn_time(out_trade_no)
        if txn_time is None:
            raise ChannelError("该订单号不是本系统的银联订单号，无法查询")
        request = {
            "txnType": fields.TXN_QUERY,
            "txnSubType": "00",
            "bizType": "000000",
            "channelType": "07",
            "orderId": out_trade_no,
            "txnTime": txn_time,
        }
        answer = self._call(request)
        code = answer.get("respCode", "")
        if code == fields.NOT_FOUND:
            # Not a "not found": UnionPay records a gateway order only once the payer pays, so the order
            # may still be paid until its payTimeout. The core closes it once it expires.
            return TradeState(out_trade_no, "pending", None, None, None)
        if code in fields.PROCESSING_CODES:
            raise ChannelTimeout(f"银联查询暂无结果：{answer.get('respMsg', '')}（{code}）")
        if code != fields.SUCCESS:
            raise UnionpayRefused(code, answer.get("respMsg", ""))
        if answer.get("orderId") != out_trade_no:
            raise ChannelError("银联查询结果与订单号不符")
        original = answer.get("origRespCode", "")
        status: TradeStatus
        if original in fields.SUCCESS_CODES:
            status = "succeeded"
        elif original in fields.PROCESSING_CODES:
            status = "pending"
        else:
            status = "closed"  # the payment failed at UnionPay: this order will not be paid
        try:
            amount_fen = fields.fen(answer.get("txnAmt", "")) if answer.get("txnAmt") else None
        except ValueError as exc:
            raise ChannelError("银联查询结果金额格式不正确") from exc
        return TradeState(
            out_trade_no=out_trade_no,
            status=status,
            amount_fen=amount_fen,
            provider_trade_no=answer.get("queryId") or None,
            paid_at=None,
        )

    def close(self, out_trade_no: str) -> bool:
        """UnionPay has no close for an unpaid gateway order: its payTimeout ends it. So "closed" means
        "not paid, and we no longer wait for it"; a payment made after this still arrives as a success
        and is never lost (it pays the declaration if unpaid, else it is a duplicate to refund)."""
        return self.query(out_trade_no).status != "succeeded"

    def parse_notification(self, body: bytes, headers: Mapping[str, str]) -> ChannelNotification:
        return notification.parse(body, headers, mer_id=self.mer_id, key=self._verify_key)

    def ack_body(self) -> tuple[int, str, str]:
        # UnionPay needs HTTP 200 (any body); anything else makes it send again.
        return 200, "text/plain", "ok"

    # --- the RefundingAdapter interface (refund.py) -------------------------------------------------

    def refund(self, refund: ChannelRefund) -> RefundState:
        """退货: accepted is "pending" (the back notification or a query tells the end); a repeated request
        id is 重复交易, answered by where the first request stands."""
        answer = self._call(unionpay_refund.request(refund), path=keys.BACK_PATH)
        code = answer.get("respCode", "")
        if code == fields.SUCCESS:
            return unionpay_refund.accepted(answer, refund.out_refund_no)
        if code == fields.DUPLICATE:
            return self.query_refund(refund.out_refund_no, refund.out_trade_no)
        if code in fields.PROCESSING_CODES:
            raise ChannelTimeout(f"银联退货结果未明：{answer.get('respMsg', '')}（{code}）")
        if code in fields.REFUND_DECLINES:
            raise ChannelDeclined(f"银联拒绝退货：{answer.get('respMsg', '') or code}")
        raise UnionpayRefused(code, answer.get("respMsg", ""))

    def query_refund(self, out_refund_no: str, out_trade_no: str) -> RefundState:
        """A 退货 UnionPay never received is "failed": nothing was given back."""
        answer = self._call(unionpay_refund.query_request(out_refund_no))
        code = answer.get("respCode", "")
        if code == fields.NOT_FOUND:
            return RefundState(out_refund_no, "failed", None, None, None, "银联没有收到该退货申请")
        if code in fields.PROCESSING_CODES:
            raise ChannelTimeout(f"银联查询暂无结果：{answer.get('respMsg', '')}（{code}）")
        if code != fields.SUCCESS:
            raise UnionpayRefused(code, answer.get("respMsg", ""))
        if answer.get("reqReserved") not in (None, out_trade_no):
            raise ChannelError("银联退货查询结果与原订单不符")
        return unionpay_refund.queried(answer, out_refund_no)

    def parse_refund_notification(self, body: bytes, headers: Mapping[str, str]) -> RefundNotification:
        return unionpay_refund.parse_notification(body, headers, mer_id=self.mer_id, key=self._verify_key)

    def statement(self, bill_date: date) -> Statement:
        """The general reconciliation file (fileType 00) of a settlement day, downloaded and parsed."""
        answer = self._call(
            {
                "txnType": bill.TXN_FILE_TRANSFER,
                "txnSubType": "01",
                "bizType": "000000",
                "fileType": bill.FILE_TYPE_GENERAL,
                "settleDate": f"{bill_date:%m%d}",
                "txnTime": fields.format_time(self._now()),
            },
            path=bill.FILE_TRANSFER_PATH,
        )
        code = answer.get("respCode", "")
        if code != fields.SUCCESS:
            raise UnionpayRefused(code, answer.get("respMsg", ""))
        if answer.get("settleDate") != f"{bill_date:%m%d}" or not answer.get("fileContent"):
            raise ChannelError("银联文件传输应答缺少对账文件或清算日期不符")
        return bill.parse(bill.decode_content(answer["fileContent"]), bill_date)

    # --- protocol --------------------------------------------------------------------------------

    def _signed(self, request: Mapping[str, str]) -> dict[str, str]:
        params = {
            "version": fields.VERSION,
            "encoding": fields.ENCODING,
            "signMethod": signing.SIGN_METHOD,
            "certId": self.cert_id,
            "accessType": "0",  # a merchant connecting directly
            "merId": self.mer_id,
            **request,
        }
        return signing.signed(params, self._sign_key)

    def _post(self, url: str, params: Mapping[str, str]) -> httpx.Response:
        try:
            with http.client() as client:
                response = client.post(
                    url, content=urlencode(params).encode("ascii"), headers={"Content-Type": FORM_TYPE}
                )
        except httpx.HTTPError as exc:
            raise ChannelTimeout(f"银联网关无应答：{type(exc).__name__}") from exc
        if response.status_code >= 500:
            raise ChannelTimeout(f"银联网关错误：HTTP {response.status_code}")
        if not response.is_success:
            raise ChannelError(f"银联网关拒绝了请求：HTTP {response.status_code}")
        return response

    def _call(self, request: Mapping[str, str], *, path: str = keys.QUERY_PATH) -> dict[str, str]:
        """One back-channel request; the answer's fields once its signature verified."""
        text = self._post(self.gateway + path, self._signed(request)).text
        try:
            answer = fields.answer(text.strip())
        except ValueError as exc:
            raise ChannelError("银联应答格式不正确") from exc
        if not answer.get("signature"):
            raise ChannelError(f"银联应答未签名：{answer.get('respCode', '')}")
        if not signing.verify(answer, self._verify_key):
            raise ChannelError("银联应答验签失败")
        if answer.get("merId", self.mer_id) != self.mer_id:
            raise ChannelError("银联应答的商户号不符")
        return answer


def unionpay_adapter(settings: Settings, *, now: Callable[[], datetime] = real_now) -> UnionpayAdapter:
    """The adapter for these settings (dev keys and the sandbox gateway outside production)."""
    gateway = keys.gateway(settings)
    return UnionpayAdapter(
        mer_id=keys.mer_id(settings),
        cert_id=keys.cert_id(settings),
        gateway=gateway,
        sign_key=keys.sign_key(settings),
        verify_key=keys.verify_key(settings),
        front_page_url=settings.base_url.rstrip("/") + FRONT_PAGE_PATH,
        hand_over_url=gateway + "/orders" if keys.is_sandbox_gateway(settings) else None,
        now=now,
    )
