"""The payment core end to end through the WeChat Pay and UnionPay sandboxes (their real protocols,
in-process): H5 and mini-program journeys, duplicates and out-of-order notifications paying once, lost
notifications settled by the query job, wrong amounts and garbage refused."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from shebao.audit.models import AuditEntry
from shebao.declarations.models import Declaration
from shebao.payments.eticket import FORMAT
from shebao.payments.models import ChannelEvent, Payment
from shebao.payments.registry import configured_methods
from shebao.sandbox.unionpay import notifier as unionpay_notifier
from shebao.sandbox.unionpay.models import SandboxUnionpayTrade
from shebao.sandbox.wechat import notifier as wechat_notifier
from shebao.sandbox.wechat.models import SandboxWechatTrade
from shebao.settlement.query import settle_due
from tests.support.payments import declare, move_clock, open_payment_by
from tests.support.people import transaction

OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
METHODS = ["wechat", "unionpay"]
# A refused notification in each provider's protocol: WeChat Pay APIv3 reads a JSON FAIL, UnionPay non-200.
REFUSALS = {
    "wechat": (400, "application/json", '{"code":"FAIL","message":"invalid notification"}'),
    "unionpay": (400, "text/plain", "invalid notification"),
}
# What each sandbox calls its paid state, its trades and its notification sweep.
PAID = {"wechat": "SUCCESS", "unionpay": "paid"}
MODELS: dict[str, Any] = {"wechat": SandboxWechatTrade, "unionpay": SandboxUnionpayTrade}
SWEEPS = {"wechat": wechat_notifier.deliver_due, "unionpay": unionpay_notifier.deliver_due}


def _payment(runtime, payment_id: str) -> Payment:  # type: ignore[no-untyped-def]
    with runtime.db.session() as s:
        found = s.get(Payment, uuid.UUID(payment_id))
        assert found is not None
        return found


def _declaration(runtime, declaration_id: str) -> Declaration:  # type: ignore[no-untyped-def]
    with runtime.db.session() as s:
        found = s.get(Declaration, uuid.UUID(declaration_id))
        assert found is not None
        return found


def _count(runtime, query) -> int:  # type: ignore[no-untyped-def]
    with runtime.db.session() as s:
        return int(s.scalar(query) or 0)


def _offered(runtime, *codes: str) -> list[str]:  # type: ignore[no-untyped-def]
    """The channel's methods in API.md's order, agreement payment only where it is configured."""
    configured = configured_methods(runtime.settings)
    return [code for code in codes if code in configured]


# --- the journeys --------------------------------------------------------------------------------------


def test_pay_by_wechat_h5_through_the_sandbox(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    declared = declare(client, world.zhang_headers)
    opened = open_payment_by(client, world.zhang_headers, declared["id"], "wechat")
    assert opened.status_code == 201, opened.text
    body = opened.json()
    assert (body["status"], body["method"], body["channel"], body["amount_fen"]) == (
        "pending",
        "wechat",
        "h5",
        79500,
    )
    assert body["pay"]["kind"] == "redirect"
    assert body["pay"]["url"].startswith("http://127.0.0.1:8000/sandbox/wechat/checkmweb?prepay_id=wx")
    assert body["pay"]["url"].endswith(
        f"&redirect_url=http%3A%2F%2F127.0.0.1%3A8000%2Fpayments%2F{body['id']}%2Fresult"
    )
    paid = client.post(f"/sandbox/wechat/trades/{body['out_trade_no']}/pay")
    assert paid.status_code == 200, paid.text
    trade = client.get(f"/sandbox/wechat/trades/{body['out_trade_no']}").json()
    assert (trade["notify_state"], trade["notify_attempts"]) == ("delivered", 1)  # our callback answered 204
    result = client.get(f"/api/v1/payments/{body['id']}", headers=world.zhang_headers).json()
    assert result["status"] == "succeeded"
    assert _payment(runtime, body["id"]).provider_trade_no == paid.json()["transaction_id"]
    assert FORMAT.match(result["eticket_no"]) and result["eticket_no"].startswith("3110102")
    assert _declaration(runtime, declared["id"]).payment_status == "paid"
    with runtime.db.session() as s:
        events = s.scalars(select(ChannelEvent)).all()
        assert [(e.channel, e.event_id, e.outcome) for e in events] == [
            ("wechat", paid.json()["event_id"], "applied")
        ]
        actions = s.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.object_type.in_(["payment", "declaration"]))
            .order_by(AuditEntry.occurred_at, AuditEntry.action)
        ).all()
    assert actions == [
        "declaration.declare",
        "payment.created",
        "payment.pending",
        "declaration.paid",
        "payment.succeeded",
    ]


def test_pay_from_the_wechat_mini_program_with_jsapi(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    declared = declare(client, world.zhang_headers)
    headers = {**world.zhang_headers, "X-Shebao-Channel": "wechat_mp"}
    methods = client.get("/api/v1/payment-methods", headers=headers).json()["items"]
    assert [m["code"] for m in methods] == _offered(runtime, "wechat", "agreement")
    assert methods[0] == {"code": "wechat", "name": "微信支付"}
    missing = open_payment_by(client, headers, declared["id"], "wechat")  # JSAPI needs the payer's openid
    assert (missing.status_code, missing.json()["error"]["code"]) == (422, "platform_user_missing")
    opened = open_payment_by(client, headers, declared["id"], "wechat", platform_user_id=OPENID)
    assert opened.status_code == 201, opened.text
    body = opened.json()
    assert (body["channel"], body["pay"]["kind"], body["pay"]["url"]) == ("wechat_mp", "mini_program", None)
    params = body["pay"]["params"]
    trade = client.get(f"/sandbox/wechat/trades/{body['out_trade_no']}").json()
    assert (params["appId"], params["package"], params["signType"]) == (
        "wxd678efh567hg6787",
        f"prepay_id={trade['prepay_id']}",
        "RSA",
    )
    assert (trade["trade_type"], trade["openid"]) == ("JSAPI", OPENID)
    client.post(f"/sandbox/wechat/trades/{body['out_trade_no']}/pay")
    assert client.get(f"/api/v1/payments/{body['id']}", headers=headers).json()["status"] == "succeeded"


def test_pay_by_unionpay_through_the_sandbox(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    declared = declare(client, world.zhang_headers)
    opened = open_payment_by(client, world.zhang_headers, declared["id"], "unionpay")
    assert opened.status_code == 201, opened.text
    body = opened.json()
    assert (body["status"], body["method"], body["amount_fen"], body["pay"]["kind"]) == (
        "pending",
        "unionpay",
        79500,
        "redirect",
    )
    assert body["pay"]["url"].startswith("http://127.0.0.1:8000/pay/unionpay/front?")
    trade = client.get(f"/sandbox/unionpay/trades/{body['out_trade_no']}").json()
    assert (trade["status"], trade["amount_fen"]) == ("unpaid", 79500)
    paid = client.post(f"/sandbox/unionpay/trades/{body['out_trade_no']}/pay").json()
    assert (
        client.get(f"/sandbox/unionpay/trades/{body['out_trade_no']}").json()["notify_state"] == "delivered"
    )
    result = client.get(f"/api/v1/payments/{body['id']}", headers=world.zhang_headers).json()
    assert result["status"] == "succeeded" and FORMAT.match(result["eticket_no"])
    assert _payment(runtime, body["id"]).provider_trade_no == paid["query_id"]
    with runtime.db.session() as s:
        assert s.scalars(select(ChannelEvent.event_id)).all() == [f"{paid['query_id']}:00"]


def test_the_channels_offer_their_methods(client, world, runtime) -> None:  # type: ignore[no-untyped-def]
    def codes(channel: str) -> list[str]:
        items = client.get(
            "/api/v1/payment-methods", headers={**world.zhang_headers, "X-Shebao-Channel": channel}
        )
        return [item["code"] for item in items.json()["items"]]

    assert codes("h5") == _offered(runtime, "alipay", "wechat", "unionpay", "agreement")
    assert codes("baidu_mp") == _offered(runtime, "wechat", "alipay", "unionpay", "agreement")
    assert codes("wechat_mp") == _offered(runtime, "wechat", "agreement")
    assert codes("alipay_mp") == _offered(runtime, "agreement", "alipay")


def test_wechat_from_the_baidu_mini_program_is_an_h5_payment(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    declared = declare(client, world.zhang_headers)
    headers = {**world.zhang_headers, "X-Shebao-Channel": "baidu_mp"}
    body = open_payment_by(client, headers, declared["id"], "wechat").json()
    assert (body["channel"], body["pay"]["kind"]) == ("baidu_mp", "redirect")
    assert client.get(f"/sandbox/wechat/trades/{body['out_trade_no']}").json()["trade_type"] == "MWEB"


# --- once, whatever arrives ------------------------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
def test_duplicate_notifications_pay_once(client, world, runtime, routed, method: str) -> None:  # type: ignore[no-untyped-def]
    declared = declare(client, world.zhang_headers)
    body = open_payment_by(client, world.zhang_headers, declared["id"], method).json()
    client.post(f"/sandbox/{method}/trades/{body['out_trade_no']}/pay")
    eticket = _payment(runtime, body["id"]).eticket_no
    sent = client.post(f"/sandbox/{method}/trades/{body['out_trade_no']}/notify", json={"copies": 5})
    assert sent.status_code == 200
    assert sent.json()["copies"] == 5
    assert _payment(runtime, body["id"]).eticket_no == eticket
    assert _count(runtime, select(func.count()).select_from(ChannelEvent)) == 1
    assert _count(runtime, select(func.count()).where(AuditEntry.action == "payment.succeeded")) == 1
    assert _count(runtime, select(func.count()).where(AuditEntry.action == "declaration.paid")) == 1


@pytest.mark.parametrize("method", METHODS)
def test_a_lost_notification_is_settled_by_the_query_job_and_a_late_one_changes_nothing(
    client, world, runtime, routed, method: str
) -> None:  # type: ignore[no-untyped-def]
    declared = declare(client, world.zhang_headers)
    body = open_payment_by(client, world.zhang_headers, declared["id"], method).json()
    lost = client.post(f"/sandbox/{method}/trades/{body['out_trade_no']}/pay", json={"notify": False})
    assert lost.json()["notify_state"] == "lost"
    assert _payment(runtime, body["id"]).status == "pending"
    assert settle_due(runtime) == 0  # the first query is not due yet
    move_clock(runtime, timedelta(seconds=16))
    assert settle_due(runtime) == 1
    assert _payment(runtime, body["id"]).status == "succeeded"
    assert _declaration(runtime, declared["id"]).payment_status == "paid"
    # The "lost" notification turns up after all, twice, a minute later: out of order, and harmless.
    later = client.post(
        f"/sandbox/{method}/trades/{body['out_trade_no']}/notify", json={"copies": 2, "delay_seconds": 60}
    )
    assert later.json()["delay_seconds"] == 60
    assert _count(runtime, select(func.count()).select_from(ChannelEvent)) == 0
    move_clock(runtime, timedelta(seconds=61))
    assert SWEEPS[method](runtime) == 1
    assert _count(runtime, select(func.count()).select_from(ChannelEvent)) == 1
    assert _count(runtime, select(func.count()).where(AuditEntry.action == "payment.succeeded")) == 1
    assert client.get(f"/sandbox/{method}/trades/{body['out_trade_no']}").json()["delayed_copies"] == 0


@pytest.mark.parametrize("method", METHODS)
def test_out_of_order_notifications_of_two_payments_pay_the_declaration_once(
    client, world, runtime, routed, method: str
) -> None:  # type: ignore[no-untyped-def]
    declared = declare(client, world.zhang_headers)
    first = open_payment_by(client, world.zhang_headers, declared["id"], method).json()
    second = open_payment_by(client, world.zhang_headers, declared["id"], method).json()
    assert _payment(runtime, first["id"]).status == "closed"
    # The payer had paid the first one in another tab just as it closed; its notification comes late.
    client.post(
        f"/sandbox/{method}/trades/{first['out_trade_no']}/pay", json={"notify": False, "force": True}
    )
    client.post(
        f"/sandbox/{method}/trades/{first['out_trade_no']}/notify", json={"copies": 1, "delay_seconds": 30}
    )
    client.post(f"/sandbox/{method}/trades/{second['out_trade_no']}/pay")
    assert _payment(runtime, second["id"]).status == "succeeded"
    move_clock(runtime, timedelta(seconds=31))
    SWEEPS[method](runtime)
    late = client.get(f"/api/v1/payments/{first['id']}", headers=world.zhang_headers).json()
    assert (late["status"], late["duplicate"], late["refund_status"], late["eticket_no"]) == (
        "succeeded",
        True,
        "to_refund",
        None,
    )
    assert _count(runtime, select(func.count()).where(AuditEntry.action == "declaration.paid")) == 1
    assert (
        _count(runtime, select(func.count()).select_from(Payment).where(Payment.eticket_no.is_not(None))) == 1
    )


@pytest.mark.parametrize("method", METHODS)
def test_a_notification_with_another_amount_is_refused(client, world, runtime, routed, method: str) -> None:  # type: ignore[no-untyped-def]
    declared = declare(client, world.zhang_headers)
    body = open_payment_by(client, world.zhang_headers, declared["id"], method).json()
    model = MODELS[method]
    column = model.out_trade_no if method == "wechat" else model.order_id
    with transaction(runtime) as s:  # the provider's record says another amount (tampering upstream)
        s.scalars(select(model).where(column == body["out_trade_no"])).one().amount_fen = 1
    client.post(f"/sandbox/{method}/trades/{body['out_trade_no']}/pay")
    trade = client.get(f"/sandbox/{method}/trades/{body['out_trade_no']}").json()
    assert (trade["notify_state"], trade["notify_attempts"]) == ("pending", 1)  # refused: it will come again
    assert _payment(runtime, body["id"]).status == "pending"
    assert _declaration(runtime, declared["id"]).payment_status == "unpaid"
    with runtime.db.session() as s:
        assert s.scalars(select(ChannelEvent.outcome)).all() == ["amount_mismatch"]


@pytest.mark.parametrize("method", METHODS)
def test_garbage_and_forged_callbacks_get_a_4xx_and_change_nothing(
    client, world, runtime, routed, method: str
) -> None:  # type: ignore[no-untyped-def]
    declared = declare(client, world.zhang_headers)
    body = open_payment_by(client, world.zhang_headers, declared["id"], method).json()
    no = body["out_trade_no"]
    forged = {
        "wechat": (
            '{"id":"EV-1","resource_type":"encrypt-resource","resource":{}}',
            {
                "content-type": "application/json",
                "Wechatpay-Serial": "PUB_KEY_ID_0119000001092026112700000000000001",
                "Wechatpay-Timestamp": "1700000000",
                "Wechatpay-Nonce": "x",
                "Wechatpay-Signature": "c2lnbg==",
            },
        ),
        "unionpay": (
            f"orderId={no}&txnAmt=79500&respCode=00&queryId=1&merId=777290058110048&signature=c2lnbg%3D%3D",
            {"content-type": "application/x-www-form-urlencoded"},
        ),
    }[method]
    for raw, headers in [
        (b"", {}),
        (b"garbage", {"content-type": "application/json"}),
        (b"\xff\xfe", {}),
        (forged[0].encode(), forged[1]),
    ]:
        answer = client.post(f"/api/v1/channels/{method}/notify", content=raw, headers=headers)
        assert (answer.status_code, answer.headers["content-type"].split(";")[0], answer.text) == REFUSALS[
            method
        ]
    assert _payment(runtime, body["id"]).status == "pending"
    assert _count(runtime, select(func.count()).select_from(ChannelEvent)) == 0


@pytest.mark.parametrize("method", METHODS)
def test_an_unpaid_payment_expires_and_is_closed(client, world, runtime, routed, method: str) -> None:  # type: ignore[no-untyped-def]
    declared = declare(client, world.zhang_headers)
    body = open_payment_by(client, world.zhang_headers, declared["id"], method).json()
    move_clock(runtime, timedelta(minutes=31))
    settle_due(runtime)
    assert _payment(runtime, body["id"]).status == "closed"
    refused = client.post(f"/sandbox/{method}/trades/{body['out_trade_no']}/pay")
    assert refused.status_code == 409
    assert (
        refused.json()["error"]["message"]
        == {"wechat": "该订单已关闭，不能付款", "unionpay": "订单已失效，不能支付"}[method]
    )


@pytest.mark.parametrize("method", METHODS)
def test_giving_up_at_the_cashier_closes_the_payment_by_query(
    client, world, runtime, routed, method: str
) -> None:  # type: ignore[no-untyped-def]
    declared = declare(client, world.zhang_headers)
    body = open_payment_by(client, world.zhang_headers, declared["id"], method).json()
    assert client.post(f"/sandbox/{method}/trades/{body['out_trade_no']}/cancel").status_code == 200
    move_clock(runtime, timedelta(seconds=16))
    assert settle_due(runtime) == 1
    assert _payment(runtime, body["id"]).status == "closed"


def test_paying_a_family_members_fee_by_unionpay(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    declared = declare(client, world.zhang_headers, payer_id=world.li_family_id)
    body = open_payment_by(client, world.zhang_headers, declared["id"], "unionpay").json()
    assert (body["for_other"], body["amount_fen"]) == (True, 46000)
    client.post(f"/sandbox/unionpay/trades/{body['out_trade_no']}/pay")
    found = _payment(runtime, body["id"])
    assert (found.payer_id, found.person_id, found.status) == (world.zhang.id, world.li.id, "succeeded")


def test_the_choose_page_lists_wechat_and_unionpay_on_h5(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    from tests.support.login import cookie_login

    csrf = cookie_login(client, runtime, world.zhang)
    declared = declare(client, world.zhang_headers)
    page = client.get(f"/pay/{declared['id']}").text
    assert '<input type="radio" name="method" value="wechat" ><span>微信支付</span>' in page
    assert '<input type="radio" name="method" value="unionpay" ><span>银联支付</span>' in page
    go = client.post(
        f"/pay/{declared['id']}", data={"csrf_token": csrf, "method": "unionpay"}, follow_redirects=False
    )
    assert go.status_code == 303 and go.headers["location"].startswith(
        "http://127.0.0.1:8000/pay/unionpay/front?"
    )
