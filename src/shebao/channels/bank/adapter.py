"""The bank adapter (method `agreement`): agreement verification, real-time deduction, refund and query by
message id, over signed messages to the bank front end (`messages.py`).

A deduction's message id is the payment's out_trade_no, so the query job asks after it by that id; the
front end answers a message id it has seen with that message's first result, so a message sent twice
never deducts twice. Whatever cannot be read or trusted in a deduction's answer makes the outcome
unknown (ChannelTimeout), never failed: money may have moved.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric import rsa

from shebao.channels.bank import codes, keys, messages
from shebao.channels.base import (
    ChannelDebit,
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
from shebao.config import Settings
from shebao.kit import http
from shebao.kit.clock import real_now

# What the bank verifies before an agreement is signed (三方协议验证): the account the agreement names, as a
# deduction under it names it.
AgreementCheck = ChannelDebit


@dataclass(frozen=True)
class BankAnswer:
    code: str
    message: str
    msg_id: str  # the id of the request message

    @property
    def ok(self) -> bool:
        return self.code == codes.SUCCESS


class BankAdapter:
    method = "agreement"

    def __init__(
        self,
        *,
        gateway: str,
        node_code: str,
        private_key: rsa.RSAPrivateKey,
        bank_public_key: rsa.RSAPublicKey,
        now: Callable[[], datetime] = real_now,
    ) -> None:
        self.gateway = gateway
        self.node_code = node_code
        self._private_key = private_key
        self._bank_key = bank_public_key
        self._now = now

    # --- agreements ------------------------------------------------------------------------------

    def verify_agreement(self, check: AgreementCheck) -> BankAnswer:
        """The bank's word on a new agreement. Raises ChannelTimeout / ChannelError when it gave none."""
        body = {
            "agreement_no": check.agreement_no,
            "bank_code": check.bank_code,
            "branch_code": check.branch_code,
            "account_no": check.account_no,
            "holder_name": check.holder_name,
            "tax_office_code": check.tax_office_code,
        }
        msg_id = messages.new_msg_id("AV", self._now())
        answer = self._exchange(codes.VERIFY, msg_id, body)
        code = str(answer.body.get("code", ""))
        return BankAnswer(code, codes.message(code, answer.body.get("message")), msg_id)

    def revoke_agreement(self, agreement_no: str, bank_code: str) -> BankAnswer:
        msg_id = messages.new_msg_id("AR", self._now())
        answer = self._exchange(codes.REVOKE, msg_id, {"agreement_no": agreement_no, "bank_code": bank_code})
        code = str(answer.body.get("code", ""))
        return BankAnswer(code, codes.message(code, answer.body.get("message")), msg_id)

    # --- the ChannelAdapter interface -------------------------------------------------------------

    def create(self, order: ChannelOrder) -> ChannelPay:
        """A real-time deduction: answers its completed result, or raises ChannelDeclined with the reason."""
        debit = order.debit
        if debit is None or order.amount_fen <= 0:
            raise ChannelError("协议支付需要扣款协议和大于0的金额")
        body = {
            "agreement_no": debit.agreement_no,
            "bank_code": debit.bank_code,
            "branch_code": debit.branch_code,
            "account_no": debit.account_no,
            "holder_name": debit.holder_name,
            "tax_office_code": debit.tax_office_code,
            "amount_fen": order.amount_fen,
            "currency": "CNY",
            "summary": order.subject,
        }
        try:
            answer = self._exchange(codes.DEDUCT, order.out_trade_no, body)
            code = str(answer.body.get("code", ""))
            if code != codes.SUCCESS:
                raise ChannelDeclined(codes.message(code, answer.body.get("message")))
            state = self._settled(order.out_trade_no, answer.body)
        except _Unreadable as exc:
            raise ChannelTimeout(str(exc)) from exc  # an answer we cannot trust: money may have moved
        if state.amount_fen != order.amount_fen:
            raise ChannelTimeout("银行应答的扣款金额与订单不符")
        return ChannelPay(
            kind="deduction", url=None, params={"serial_no": state.provider_trade_no or ""}, outcome=state
        )

    def query(self, out_trade_no: str) -> TradeState:
        msg_id = messages.new_msg_id("DQ", self._now())
        answer = self._exchange(codes.QUERY, msg_id, {"orig_msg_id": out_trade_no})
        code = str(answer.body.get("code", ""))
        if code == codes.NOT_FOUND:
            return TradeState(out_trade_no, "not_found", None, None, None)
        if code != codes.SUCCESS or answer.body.get("orig_msg_id") != out_trade_no:
            raise ChannelError(f"银行查询未成功：{codes.message(code, answer.body.get('message'))}")
        result = str(answer.body.get("result_code", ""))
        if result == codes.SUCCESS:
            return self._settled(out_trade_no, answer.body)
        reason = codes.message(result, answer.body.get("result_message"))
        amount = answer.body.get("amount_fen")
        return TradeState(
            out_trade_no, "failed", amount if isinstance(amount, int) else None, None, None, reason
        )

    def close(self, out_trade_no: str) -> bool:
        """A deduction cannot be closed: it is over when the bank answers. Closed only if never received."""
        return self.query(out_trade_no).status == "not_found"

    def parse_notification(self, body: bytes, headers: Mapping[str, str]) -> ChannelNotification:
        raise InvalidNotification("协议支付为实时扣款，银行不发送异步通知")

    def ack_body(self) -> tuple[int, str, str]:
        return 200, "application/json", "{}"

    # --- the RefundingAdapter interface -----------------------------------------------------------

    def refund(self, refund: ChannelRefund) -> RefundState:
        """退款: the refund's message id is out_refund_no, so the bank acts on a retried refund once."""
        body = {
            "orig_msg_id": refund.out_trade_no,  # the deduction's message id
            "orig_serial_no": refund.provider_trade_no or "",
            "amount_fen": refund.amount_fen,
            "currency": "CNY",
            "summary": refund.reason[:60],
        }
        try:
            answer = self._exchange(codes.REFUND, refund.out_refund_no, body)
            code = str(answer.body.get("code", ""))
            if code == codes.CLOSED:
                raise ChannelTimeout(codes.message(code))  # nothing done: sent again later, same id
            if code != codes.SUCCESS:
                raise ChannelDeclined(codes.message(code, answer.body.get("message")))
            state = self._settled(refund.out_refund_no, answer.body)
        except _Unreadable as exc:
            raise ChannelTimeout(str(exc)) from exc  # an answer we cannot trust: money may have moved
        return self._refunded(state)

    def query_refund(self, out_refund_no: str, out_trade_no: str) -> RefundState:
        state = self.query(out_refund_no)  # the bank answers a refund's message id as any other
        if state.status == "not_found":
            return RefundState(out_refund_no, "failed", None, None, None, "银行未收到该退款报文（未退款）")
        if state.status == "failed":
            return RefundState(out_refund_no, "failed", state.amount_fen, None, None, state.failure_reason)
        return self._refunded(state)

    def parse_refund_notification(self, body: bytes, headers: Mapping[str, str]) -> RefundNotification:
        raise InvalidNotification("协议支付的退款实时答复，银行不发送退款通知")

    @staticmethod
    def _refunded(state: TradeState) -> RefundState:
        return RefundState(
            out_refund_no=state.out_trade_no,
            status="succeeded",
            amount_fen=state.amount_fen,
            provider_refund_no=state.provider_trade_no,
            refunded_at=state.paid_at,
        )

    # --- protocol --------------------------------------------------------------------------------

    def _settled(self, out_trade_no: str, body: Mapping[str, Any]) -> TradeState:
        amount, serial, settled = body.get("amount_fen"), body.get("serial_no"), body.get("settled_at")
        if not isinstance(amount, int) or not isinstance(serial, str) or not isinstance(settled, str):
            raise _Unreadable("银行应答缺少扣款金额、流水号或扣款时间")
        try:
            paid_at = datetime.fromisoformat(settled)
        except ValueError as exc:
            raise _Unreadable("银行应答的扣款时间格式不正确") from exc
        return TradeState(out_trade_no, "succeeded", amount, serial, paid_at)

    def _exchange(self, msg_type: str, msg_id: str, body: dict[str, Any]) -> messages.Message:
        now = self._now()
        head = messages.Head(msg_type, msg_id, self.node_code, messages.FRONT_END, messages.stamp(now))
        raw = messages.encode(messages.Message(head, body))
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            messages.SIGNATURE_HEADER: messages.sign(raw, self._private_key),
        }
        try:
            with http.client() as client:
                response = client.post(self.gateway, content=raw, headers=headers)
        except httpx.HTTPError as exc:
            raise ChannelTimeout(f"银行前置无应答：{type(exc).__name__}") from exc
        if response.status_code >= 500:
            raise ChannelTimeout(f"银行前置错误：HTTP {response.status_code}")
        if not response.is_success:
            raise ChannelError(f"银行前置拒绝了报文：HTTP {response.status_code}")
        try:
            answer = messages.read_signed(
                response.content,
                response.headers.get(messages.SIGNATURE_HEADER),
                self._bank_key,
                now=self._now(),
            )
        except messages.MessageError as exc:
            raise _Unreadable(f"银行应答无效：{exc}") from exc
        if (answer.head.answer_to, answer.head.msg_type, answer.head.receiver) != (
            msg_id,
            msg_type,
            self.node_code,
        ):
            raise _Unreadable("银行应答与请求报文不对应")
        return answer


class _Unreadable(ChannelError):
    """An answer that arrived but cannot be trusted (signature, freshness, correlation, content)."""


def bank_adapter(settings: Settings, *, now: Callable[[], datetime] = real_now) -> BankAdapter:
    """The adapter for these settings (dev keys and the sandbox bank outside production)."""
    return BankAdapter(
        gateway=keys.gateway(settings),
        node_code=settings.bank_node_code,
        private_key=keys.private_key(settings),
        bank_public_key=keys.bank_public_key(settings),
        now=now,
    )
