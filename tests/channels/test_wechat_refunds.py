"""WeChat Pay refunds (API v3) end to end against the sandbox, in-process: 申请退款 answered at once or
later, its callback verified (a tampered one refused), deduplicated by out_refund_no, refused above what
was paid or for an unpaid order, queried, timed out (acted on or lost) and retried without refunding twice,
and shown in the trade bill as WeChat Pay's REFUND lines."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from shebao.channels import ChannelDeclined, ChannelTimeout, InvalidNotification
from shebao.channels.base import ChannelOrder, ChannelRefund
from shebao.channels.wechat import WechatAdapter, keys, resource, wechat_adapter
from shebao.kit.ids import new_id
from shebao.runtime import Runtime
from shebao.sandbox.wechat import notifier, protocol
from shebao.sandbox.wechat.models import SandboxWechatRefund
from tests.support.payments import move_clock
from tests.support.providers import MERCHANT_NOTIFY_URL, Merchant, channel_order

OUT = "SB20261127143000765432"
PAID = 79500


@pytest.fixture
def wechat(runtime: Runtime, routed_http: None) -> WechatAdapter:
    return wechat_adapter(runtime.settings, now=runtime.clock.now)


@pytest.fixture
def paid(runtime: Runtime, wechat: WechatAdapter, client: TestClient) -> dict[str, object]:
    """An order paid at the sandbox (its payment callback dropped: only refunds reach the merchant)."""
    wechat.create(order(runtime, OUT))
    answer = client.post(f"/sandbox/wechat/trades/{OUT}/pay", json={"notify": False})
    assert answer.status_code == 200
    trade: dict[str, object] = answer.json()
    return trade


def order(runtime: Runtime, out_trade_no: str) -> ChannelOrder:
    return channel_order(out_trade_no, PAID, expires_at=runtime.clock.now() + timedelta(minutes=30))


def refund_of(amount_fen: int = PAID, out_trade_no: str = OUT, **changes: object) -> ChannelRefund:
    values: dict[str, object] = {
        "out_refund_no": "RF" + new_id().hex[:30],
        "out_trade_no": out_trade_no,
        "provider_trade_no": None,
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
        rows = session.scalars(select(SandboxWechatRefund).order_by(SandboxWechatRefund.created_at))
        return [(row.out_refund_no, row.amount_fen, row.status) for row in rows]


def faults(client: TestClient, **switches: object) -> None:
    assert client.post("/sandbox/wechat/refunds/faults", json=switches).status_code == 200


def test_a_refund_succeeds_at_once_and_its_callback_verifies(
    runtime: Runtime, wechat: WechatAdapter, client: TestClient, merchant: Merchant, paid: dict[str, object]
) -> None:
    asked = refund_of(provider_trade_no=str(paid["transaction_id"]))
    state = wechat.refund(asked)
    assert (state.out_refund_no, state.status, state.amount_fen, state.failure_reason) == (
        asked.out_refund_no,
        "succeeded",
        PAID,
        None,
    )
    assert state.provider_refund_no is not None and state.provider_refund_no.startswith("5030")
    assert state.refunded_at is not None
    [body], [headers] = merchant.bodies, merchant.headers
    event = json.loads(body)
    assert (event["event_type"], event["summary"], event["resource"]["original_type"]) == (
        "REFUND.SUCCESS",
        "退款成功",
        "refund",
    )
    note = wechat.parse_refund_notification(body, headers)
    assert (note.out_refund_no, note.out_trade_no, note.amount_fen, note.status) == (
        asked.out_refund_no,
        OUT,
        PAID,
        "succeeded",
    )
    assert (note.provider_refund_no, note.refunded_at, note.event_id) == (
        state.provider_refund_no,
        state.refunded_at,
        event["id"],
    )
    assert note.raw["transaction_id"] == paid["transaction_id"]
    assert ledger(runtime) == [(asked.out_refund_no, PAID, "succeeded")]
    view = client.get(f"/sandbox/wechat/refunds/{asked.out_refund_no}").json()
    assert (view["status"], view["notify_state"], view["notify_attempts"]) == ("succeeded", "delivered", 1)


def test_a_refund_answered_later_is_completed_by_its_callback_or_a_query(
    runtime: Runtime, wechat: WechatAdapter, client: TestClient, merchant: Merchant, paid: dict[str, object]
) -> None:
    faults(client, later=True)
    asked = refund_of(30000)
    state = wechat.refund(asked)
    assert (state.status, state.amount_fen, state.refunded_at) == ("pending", 30000, None)
    assert merchant.bodies == []
    assert wechat.query_refund(asked.out_refund_no, OUT).status == "pending"
    done = client.post(f"/sandbox/wechat/refunds/{asked.out_refund_no}/complete", json={})
    assert done.json()["status"] == "succeeded"
    note = wechat.parse_refund_notification(merchant.bodies[0], merchant.headers[0])
    assert (note.status, note.amount_fen) == ("succeeded", 30000)
    queried = wechat.query_refund(asked.out_refund_no, OUT)
    assert (queried.status, queried.provider_refund_no, queried.refunded_at) == (
        "succeeded",
        state.provider_refund_no,
        note.refunded_at,
    )
    again = client.post(f"/sandbox/wechat/refunds/{asked.out_refund_no}/complete", json={})
    assert (again.status_code, again.json()["error"]["message"]) == (409, "该退款已有结果，不能再次完成")


def test_a_failed_refund_says_abnormal_and_gives_the_amount_back_to_refund(
    runtime: Runtime, wechat: WechatAdapter, client: TestClient, merchant: Merchant, paid: dict[str, object]
) -> None:
    faults(client, later=True)
    asked = refund_of()
    wechat.refund(asked)
    client.post(f"/sandbox/wechat/refunds/{asked.out_refund_no}/complete", json={"succeeded": False})
    event = json.loads(merchant.bodies[0])
    assert event["event_type"] == "REFUND.ABNORMAL"
    note = wechat.parse_refund_notification(merchant.bodies[0], merchant.headers[0])
    assert (note.status, note.refunded_at) == ("failed", None)
    state = wechat.query_refund(asked.out_refund_no, OUT)
    assert (state.status, state.failure_reason) == ("failed", "微信支付退款异常（如用户的银行卡已注销）")
    faults(client)
    assert wechat.refund(refund_of()).status == "succeeded"  # a new request may refund it all


def test_a_refund_the_sandbox_completes_by_itself_after_a_minute(
    runtime: Runtime, wechat: WechatAdapter, client: TestClient, merchant: Merchant, paid: dict[str, object]
) -> None:
    faults(client, later=True)
    asked = refund_of()
    wechat.refund(asked)
    assert notifier.complete_due_refunds(runtime) == 0
    move_clock(runtime, timedelta(seconds=61))
    assert notifier.complete_due_refunds(runtime) == 1
    assert wechat.parse_refund_notification(merchant.bodies[0], merchant.headers[0]).status == "succeeded"
    assert notifier.complete_due_refunds(runtime) == 0


def test_the_same_refund_request_twice_refunds_once(
    runtime: Runtime, wechat: WechatAdapter, merchant: Merchant, paid: dict[str, object]
) -> None:
    asked = refund_of()
    first, second = wechat.refund(asked), wechat.refund(asked)
    assert first == second
    assert ledger(runtime) == [(asked.out_refund_no, PAID, "succeeded")]
    assert len(merchant.bodies) == 1


def test_refunds_above_what_was_paid_are_declined_in_chinese(
    runtime: Runtime, wechat: WechatAdapter, client: TestClient, paid: dict[str, object]
) -> None:
    part = refund_of(50000)
    assert wechat.refund(part).status == "succeeded"
    with pytest.raises(ChannelDeclined) as declined:
        wechat.refund(refund_of(29501))
    assert declined.value.reason == "微信支付拒绝退款：申请退款金额超过订单可退金额"
    assert wechat.refund(refund_of(29500)).status == "succeeded"
    with pytest.raises(ChannelDeclined, match="同一商户退款单号的订单或退款金额与原退款不一致"):
        wechat.refund(refund_of(100, out_refund_no=part.out_refund_no))
    assert [row[1] for row in ledger(runtime)] == [50000, 29500]
    shown = client.get(f"/sandbox/wechat/trades/{OUT}/refunds").json()
    assert (shown["refunded_fen"], [(r["out_refund_no"], r["amount_fen"]) for r in shown["items"]]) == (
        79500,
        [(part.out_refund_no, 50000), (shown["items"][1]["out_refund_no"], 29500)],
    )


def test_an_unpaid_or_unknown_order_is_not_refunded(
    runtime: Runtime, wechat: WechatAdapter, client: TestClient
) -> None:
    wechat.create(order(runtime, "SB20261127143000000001"))
    with pytest.raises(ChannelDeclined) as unpaid:
        wechat.refund(refund_of(out_trade_no="SB20261127143000000001"))
    assert unpaid.value.reason == "微信支付拒绝退款：订单未支付成功，不能退款"
    with pytest.raises(ChannelDeclined) as unknown:
        wechat.refund(refund_of(out_trade_no="SB20261127143000000002"))
    assert unknown.value.reason == "微信支付拒绝退款：订单不存在"
    assert ledger(runtime) == []


def test_a_refund_never_received_is_failed_when_queried(wechat: WechatAdapter) -> None:
    state = wechat.query_refund("RF" + new_id().hex[:30], OUT)
    assert (state.status, state.amount_fen, state.failure_reason) == (
        "failed",
        None,
        "微信支付没有收到该退款申请",
    )


def test_a_timeout_after_the_refund_is_retried_without_refunding_twice(
    runtime: Runtime, wechat: WechatAdapter, client: TestClient, paid: dict[str, object]
) -> None:
    faults(client, timeouts=1)
    asked = refund_of()
    with pytest.raises(ChannelTimeout):
        wechat.refund(asked)
    assert ledger(runtime) == [(asked.out_refund_no, PAID, "succeeded")]  # acted on; the answer was lost
    assert wechat.query_refund(asked.out_refund_no, OUT).status == "succeeded"
    assert wechat.refund(asked).status == "succeeded"
    assert ledger(runtime) == [(asked.out_refund_no, PAID, "succeeded")]


def test_a_lost_refund_request_did_nothing_and_its_retry_refunds(
    runtime: Runtime, wechat: WechatAdapter, client: TestClient, paid: dict[str, object]
) -> None:
    faults(client, lost=1)
    asked = refund_of()
    with pytest.raises(ChannelTimeout):
        wechat.refund(asked)
    assert ledger(runtime) == []
    assert wechat.refund(asked).status == "succeeded"
    assert ledger(runtime) == [(asked.out_refund_no, PAID, "succeeded")]


def _refund_callback(runtime: Runtime, **changes: object) -> tuple[str, dict[str, str]]:
    settings = runtime.settings
    plain = {
        "mchid": keys.DEV_MCHID,
        "out_trade_no": OUT,
        "transaction_id": "4200000985202611270123456789",
        "out_refund_no": "RF0193a1b2c3d4e5f60718293a4b5c6d",
        "refund_id": "50300000000000000000000000000",
        "refund_status": "SUCCESS",
        "success_time": "2026-11-27T14:40:05+08:00",
        "user_received_account": "支付用户零钱",
        "amount": {"total": PAID, "refund": PAID, "payer_total": PAID, "payer_refund": PAID},
    } | changes
    event_type = f"REFUND.{plain['refund_status']}"
    text = notifier.sealed_event(
        "EV-1", event_type, "退款", "refund", plain, keys.apiv3_key(settings), runtime.clock.now()
    )
    return text, protocol.signed_headers(settings, runtime.clock.now(), text)


def _refused(adapter: WechatAdapter, body: str, headers: dict[str, str]) -> str:
    with pytest.raises(InvalidNotification) as refused:
        adapter.parse_refund_notification(body.encode(), headers)
    return refused.value.reason


def test_refund_callbacks_closed_tampered_or_not_ours(runtime: Runtime) -> None:
    adapter = wechat_adapter(runtime.settings, now=runtime.clock.now)
    body, headers = _refund_callback(runtime, refund_status="CLOSED")
    closed = adapter.parse_refund_notification(body.encode(), headers)
    assert (closed.status, closed.refunded_at, closed.raw["event_type"]) == ("failed", None, "REFUND.CLOSED")
    body, headers = _refund_callback(runtime)
    event = json.loads(body)
    event["resource"]["ciphertext"] = resource.encrypt("b" * 32, "n" * 12, "refund", "{}")
    tampered = json.dumps(event)
    assert _refused(
        adapter, tampered, protocol.signed_headers(runtime.settings, runtime.clock.now(), tampered)
    ) == ("resource: does not decrypt with the APIv3 key")
    assert _refused(adapter, body.replace("EV-1", "EV-2"), headers) == (
        "signature: does not verify with the platform key"
    )
    body, headers = _refund_callback(runtime, mchid="1900000110")
    assert _refused(adapter, body, headers) == "merchant: not this merchant's"
    body, headers = _refund_callback(runtime, refund_status="PROCESSING")
    assert (
        _refused(adapter, body, headers)
        == "format: refund_status PROCESSING with event_type REFUND.PROCESSING"
    )


def test_a_payment_callback_is_not_a_refund_callback_nor_the_reverse(
    runtime: Runtime, wechat: WechatAdapter, client: TestClient, merchant: Merchant
) -> None:
    wechat.create(order(runtime, OUT))
    client.post(f"/sandbox/wechat/trades/{OUT}/pay")
    payment_body, payment_headers = merchant.bodies[0], merchant.headers[0]
    assert _refused(wechat, payment_body.decode(), payment_headers) == (
        "format: a transaction callback, not a refund one"
    )
    wechat.refund(refund_of())
    with pytest.raises(InvalidNotification, match="format: a refund callback, not a transaction one"):
        wechat.parse_notification(merchant.bodies[1], merchant.headers[1])


def test_the_trade_bill_shows_the_refund_beside_the_payment(
    runtime: Runtime, wechat: WechatAdapter, paid: dict[str, object]
) -> None:
    first, second = refund_of(30000), refund_of(49500)
    states = [wechat.refund(first), wechat.refund(second)]
    day = runtime.clock.today()
    move_clock(runtime, timedelta(days=1))
    statement = wechat.statement(day)
    lines = sorted(
        (line.kind, line.provider_trade_no, line.out_trade_no, line.amount_fen) for line in statement.lines
    )
    assert lines == sorted(
        [
            ("payment", str(paid["transaction_id"]), OUT, PAID),
            ("refund", str(states[0].provider_refund_no), OUT, 30000),
            ("refund", str(states[1].provider_refund_no), OUT, 49500),
        ]
    )
    text = statement.raw.decode("utf-8")
    assert f"`{first.out_refund_no}" in text and "`REFUND" in text
    assert text.splitlines()[-1] == "`3,`795.00,`795.00,`0.00,`0.00,`795.00,`795.00"


def test_refund_switches_and_outcomes_are_4xx_in_chinese_when_wrong(client: TestClient) -> None:
    unknown = client.get("/sandbox/wechat/refunds/RF-NONE")
    assert (unknown.status_code, unknown.json()["error"]["message"]) == (404, "微信支付沙箱中没有该退款")
    assert client.post("/sandbox/wechat/refunds/faults", json={"timeouts": -1}).status_code == 422
    assert client.post("/sandbox/wechat/refunds/RF-NONE/complete", json={}).status_code == 404
