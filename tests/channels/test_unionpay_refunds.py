"""UnionPay 退货 end to end against the sandbox, in-process: accepted (pending) then completed by the back
notification (verified; a tampered one refused) or a query, a repeated request id answered by the first
(重复交易), refused above what was paid or for an unpaid order, timed out (acted on or lost) and retried
without refunding twice, and shown in the reconciliation file as S30 lines."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from shebao.channels import ChannelDeclined, ChannelError, ChannelTimeout, InvalidNotification
from shebao.channels.base import ChannelOrder, ChannelRefund
from shebao.channels.unionpay import UnionpayAdapter, fields, keys, signing, unionpay_adapter
from shebao.kit.ids import new_id
from shebao.runtime import Runtime
from shebao.sandbox.unionpay import notifier
from shebao.sandbox.unionpay.models import SandboxUnionpayRefund
from tests.support.payments import move_clock
from tests.support.providers import MERCHANT_NOTIFY_URL, Merchant, channel_order

OUT = "SB20261127063000654321"
PAID = 79500


@pytest.fixture
def unionpay(runtime: Runtime, routed_http: None) -> UnionpayAdapter:
    return unionpay_adapter(runtime.settings, now=runtime.clock.now)


@pytest.fixture
def query_id(runtime: Runtime, unionpay: UnionpayAdapter, client: TestClient) -> str:
    """The queryId of an order paid at the sandbox (its back notification dropped)."""
    unionpay.create(order(runtime, OUT))
    answer = client.post(f"/sandbox/unionpay/trades/{OUT}/pay", json={"notify": False})
    assert answer.status_code == 200
    return str(answer.json()["query_id"])


def order(runtime: Runtime, out_trade_no: str) -> ChannelOrder:
    return channel_order(out_trade_no, PAID, expires_at=runtime.clock.now() + timedelta(minutes=30))


def refund_of(query_id: str | None, amount_fen: int = PAID, **changes: object) -> ChannelRefund:
    values: dict[str, object] = {
        "out_refund_no": "RF" + new_id().hex[:30],
        "out_trade_no": OUT,
        "provider_trade_no": query_id,
        "amount_fen": amount_fen,
        "total_fen": PAID,
        "reason": "重复缴费退费",
        "notify_url": MERCHANT_NOTIFY_URL,
        "paid_at": None,
    }
    values.update(changes)
    return ChannelRefund(**values)  # type: ignore[arg-type]


def ledger(runtime: Runtime) -> list[tuple[str, int, str]]:
    with runtime.db.session() as session:
        rows = session.scalars(select(SandboxUnionpayRefund).order_by(SandboxUnionpayRefund.created_at))
        return [(row.out_refund_no, row.amount_fen, row.status) for row in rows]


def faults(client: TestClient, **switches: object) -> None:
    assert client.post("/sandbox/unionpay/refunds/faults", json=switches).status_code == 200


def test_a_refund_is_accepted_then_its_back_notification_says_refunded(
    runtime: Runtime, unionpay: UnionpayAdapter, client: TestClient, merchant: Merchant, query_id: str
) -> None:
    asked = refund_of(query_id)
    state = unionpay.refund(asked)
    assert (state.out_refund_no, state.status, state.amount_fen, state.refunded_at) == (
        asked.out_refund_no,
        "pending",
        PAID,
        None,
    )
    [form] = merchant.forms
    assert (form["txnType"], form["orderId"], form["origQryId"], form["reqReserved"], form["respCode"]) == (
        "04",
        asked.out_refund_no,
        query_id,
        OUT,
        "00",
    )
    note = unionpay.parse_refund_notification(merchant.bodies[0], merchant.headers[0])
    assert (note.out_refund_no, note.out_trade_no, note.amount_fen, note.status) == (
        asked.out_refund_no,
        OUT,
        PAID,
        "succeeded",
    )
    assert (note.provider_refund_no, note.event_id) == (
        state.provider_refund_no,
        f"{state.provider_refund_no}:00",
    )
    queried = unionpay.query_refund(asked.out_refund_no, OUT)
    assert (queried.status, queried.amount_fen, queried.provider_refund_no) == (
        "succeeded",
        PAID,
        state.provider_refund_no,
    )
    assert ledger(runtime) == [(asked.out_refund_no, PAID, "succeeded")]


def test_a_refund_answered_later_is_processing_until_it_completes(
    runtime: Runtime, unionpay: UnionpayAdapter, client: TestClient, merchant: Merchant, query_id: str
) -> None:
    faults(client, later=True)
    asked = refund_of(query_id, 20000)
    assert unionpay.refund(asked).status == "pending"
    assert merchant.bodies == []
    assert unionpay.query_refund(asked.out_refund_no, OUT).status == "pending"
    move_clock(runtime, timedelta(seconds=61))
    assert notifier.complete_due_refunds(runtime) == 1
    assert unionpay.parse_refund_notification(merchant.bodies[0], merchant.headers[0]).status == "succeeded"
    assert unionpay.query_refund(asked.out_refund_no, OUT).status == "succeeded"


def test_a_failed_refund_is_said_by_notification_and_query(
    runtime: Runtime, unionpay: UnionpayAdapter, client: TestClient, merchant: Merchant, query_id: str
) -> None:
    faults(client, later=True)
    asked = refund_of(query_id)
    unionpay.refund(asked)
    client.post(f"/sandbox/unionpay/refunds/{asked.out_refund_no}/complete", json={"succeeded": False})
    shown = client.get(f"/sandbox/unionpay/trades/{OUT}/refunds").json()
    assert (shown["refunded_fen"], [r["status"] for r in shown["items"]]) == (0, ["failed"])
    note = unionpay.parse_refund_notification(merchant.bodies[0], merchant.headers[0])
    assert (note.status, note.raw["respCode"]) == ("failed", "01")
    state = unionpay.query_refund(asked.out_refund_no, OUT)
    assert (state.status, state.failure_reason) == ("failed", "银联退货失败：交易失败[退货失败]")


def test_the_same_refund_request_twice_refunds_once(
    runtime: Runtime, unionpay: UnionpayAdapter, merchant: Merchant, query_id: str
) -> None:
    asked = refund_of(query_id)
    first = unionpay.refund(asked)
    again = unionpay.refund(asked)  # 重复交易: answered by the query of the first
    assert (again.status, again.provider_refund_no, again.amount_fen) == (
        "succeeded",
        first.provider_refund_no,
        PAID,
    )
    assert ledger(runtime) == [(asked.out_refund_no, PAID, "succeeded")]
    assert len(merchant.bodies) == 1


def test_refunds_above_what_was_paid_or_of_unpaid_orders_are_declined_in_chinese(
    runtime: Runtime, unionpay: UnionpayAdapter, client: TestClient, query_id: str
) -> None:
    unionpay.refund(refund_of(query_id, 50000))
    with pytest.raises(ChannelDeclined) as above:
        unionpay.refund(refund_of(query_id, 29501))
    assert above.value.reason == "银联拒绝退货：交易金额超限：退货金额超过原交易可退金额"
    unionpay.create(order(runtime, "SB20261127063000000077"))
    unpaid = client.get("/sandbox/unionpay/trades/SB20261127063000000077").json()["query_id"]
    with pytest.raises(ChannelDeclined) as not_paid:
        unionpay.refund(refund_of(unpaid))
    assert not_paid.value.reason == "银联拒绝退货：原交易不存在或状态不正确：原交易未成功支付"
    with pytest.raises(ChannelDeclined, match="原交易不存在或状态不正确"):
        unionpay.refund(refund_of("261127063000999999999"))
    assert [row[1] for row in ledger(runtime)] == [50000]


def test_a_timeout_after_the_refund_is_retried_without_refunding_twice(
    runtime: Runtime, unionpay: UnionpayAdapter, client: TestClient, query_id: str
) -> None:
    faults(client, timeouts=1)
    asked = refund_of(query_id)
    with pytest.raises(ChannelTimeout):
        unionpay.refund(asked)
    assert ledger(runtime) == [(asked.out_refund_no, PAID, "succeeded")]
    assert unionpay.refund(asked).status == "succeeded"
    assert ledger(runtime) == [(asked.out_refund_no, PAID, "succeeded")]


def test_a_lost_refund_request_did_nothing_and_its_retry_refunds(
    runtime: Runtime, unionpay: UnionpayAdapter, client: TestClient, query_id: str
) -> None:
    faults(client, lost=1)
    asked = refund_of(query_id)
    with pytest.raises(ChannelTimeout):
        unionpay.refund(asked)
    assert ledger(runtime) == []
    state = unionpay.query_refund(asked.out_refund_no, OUT)
    assert (state.status, state.failure_reason) == ("failed", "银联没有收到该退货申请")
    assert unionpay.refund(asked).status == "pending"
    assert ledger(runtime) == [(asked.out_refund_no, PAID, "succeeded")]


def test_a_refund_needs_our_refund_number_and_the_paid_orders_query_id(unionpay: UnionpayAdapter) -> None:
    with pytest.raises(ChannelError, match="RF 开头的32位字母数字"):
        unionpay.refund(refund_of("261127063000999999999", out_refund_no="REFUND-1"))
    with pytest.raises(ChannelError, match="queryId"):
        unionpay.refund(refund_of(None))
    assert fields.refund_txn_time("RF0193a1b2c3d4e5f60718293a4b5c6d") == "20241207231747"


def _notice(runtime: Runtime, **changes: str) -> dict[str, str]:
    values = {
        "version": "5.1.0",
        "encoding": "UTF-8",
        "signMethod": "01",
        "certId": "69042905377",
        "accessType": "0",
        "merId": keys.DEV_MER_ID,
        "txnType": "04",
        "txnSubType": "00",
        "bizType": "000201",
        "orderId": "RF0193a1b2c3d4e5f60718293a4b5c6d",
        "txnTime": "20241201063633",
        "txnAmt": str(PAID),
        "queryId": "241201063633123456789",
        "origQryId": "261127063000123456789",
        "reqReserved": OUT,
        "respCode": "00",
        "respMsg": "成功[0000000]",
    } | changes
    return signing.signed(values, keys.sandbox_private_key(runtime.settings))


def _refused(adapter: UnionpayAdapter, params: dict[str, str]) -> str:
    with pytest.raises(InvalidNotification) as refused:
        adapter.parse_refund_notification(urlencode(params).encode(), {})
    return refused.value.reason


def test_back_notifications_tampered_not_ours_or_not_a_refund_are_refused(runtime: Runtime) -> None:
    adapter = unionpay_adapter(runtime.settings, now=runtime.clock.now)
    assert adapter.parse_refund_notification(urlencode(_notice(runtime)).encode(), {}).status == "succeeded"
    assert (
        _refused(adapter, _notice(runtime) | {"txnAmt": "1"})
        == "signature: does not verify with UnionPay's key"
    )
    assert _refused(adapter, _notice(runtime, merId="777290058110049")) == "merchant: not this merchant's"
    assert _refused(adapter, _notice(runtime, txnType="01")) == "format: txnType 01 is not a 退货"
    assert (
        _refused(adapter, _notice(runtime, reqReserved=""))
        == "format: missing reqReserved (the refunded order)"
    )
    payment = _notice(runtime, txnType="01", orderId=OUT)
    with pytest.raises(InvalidNotification, match="format: txnType 04 is not a payment"):
        adapter.parse_notification(urlencode(_notice(runtime)).encode(), {})
    assert _refused(adapter, payment) == "format: txnType 01 is not a 退货"


def test_the_reconciliation_file_shows_the_refund_as_s30(
    runtime: Runtime, unionpay: UnionpayAdapter, query_id: str
) -> None:
    asked = refund_of(query_id, 30000)
    state = unionpay.refund(asked)
    day = runtime.clock.today()
    move_clock(runtime, timedelta(days=1))
    statement = unionpay.statement(day)
    lines = sorted(
        (line.kind, line.provider_trade_no, line.out_trade_no, line.amount_fen) for line in statement.lines
    )
    assert lines == [
        ("payment", query_id, OUT, PAID),
        ("refund", str(state.provider_refund_no), asked.out_refund_no, 30000),
    ]
