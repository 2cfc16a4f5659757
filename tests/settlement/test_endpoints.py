"""The payment core end to end against the Alipay sandbox (its real protocol, in-process)."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

from sqlalchemy import func, select

from shebao.audit.models import AuditEntry
from shebao.channels.base import ChannelTimeout
from shebao.payables.models import Payable
from shebao.payments.eticket import FORMAT
from shebao.payments.models import ChannelEvent, Payment
from shebao.payments.registry import adapter_for
from shebao.settlement.query import settle_due
from shebao.settlement.settle import apply_end
from tests.support.payments import declare, load_declaration, load_payment, move_clock, open_payment
from tests.support.people import transaction
from tests.support.world import payable_ids


def test_pay_by_alipay_through_the_sandbox(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    declared = declare(client, world.zhang_headers)
    opened = open_payment(client, world.zhang_headers, declared["id"])
    assert opened.status_code == 201, opened.text
    body = opened.json()
    assert (body["status"], body["method"], body["channel"], body["amount_fen"]) == (
        "pending",
        "alipay",
        "h5",
        79500,
    )
    assert body["pay"]["kind"] == "redirect" and "/sandbox/alipay/gateway.do" in body["pay"]["url"]
    paid = client.post(f"/sandbox/alipay/trades/{body['out_trade_no']}/pay")
    assert paid.status_code == 200, paid.text
    result = client.get(f"/api/v1/payments/{body['id']}", headers=world.zhang_headers).json()
    assert result["status"] == "succeeded" and result["status_label"] == "支付成功"
    assert FORMAT.match(result["eticket_no"]) and result["eticket_no"].startswith("3110102")
    declaration = client.get(f"/api/v1/declarations/{declared['id']}", headers=world.zhang_headers).json()
    assert declaration["payment_status"] == "paid"
    assert payable_ids(client, world.zhang_headers, "resident_medical", status="paid") == [
        i["payable_id"] for i in declared["items"]
    ]
    with runtime.db.session() as s:
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
    again = open_payment(client, world.zhang_headers, declared["id"])
    assert again.status_code == 409 and again.json()["error"]["message"] == "该申报已缴款，无需重复缴费"


def test_pay_from_the_alipay_mini_program(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    declared = declare(client, world.zhang_headers)
    headers = {**world.zhang_headers, "X-Shebao-Channel": "alipay_mp"}
    methods = client.get("/api/v1/payment-methods", headers=headers).json()["items"]
    assert [m["code"] for m in methods] == ["agreement", "alipay"]
    opened = client.post(
        "/api/v1/payments",
        headers=headers,
        json={"declaration_id": declared["id"], "method": "alipay", "platform_user_id": "2088102177846880"},
    )
    assert opened.status_code == 201, opened.text
    body = opened.json()
    assert (body["channel"], body["pay"]["kind"]) == ("alipay_mp", "mini_program")
    assert body["pay"]["params"]["tradeNO"]
    trade = client.get(f"/sandbox/alipay/trades/{body['out_trade_no']}").json()
    assert trade["buyer_id"] == "2088102177846880"
    client.post(f"/sandbox/alipay/trades/{body['out_trade_no']}/pay")
    assert client.get(f"/api/v1/payments/{body['id']}", headers=headers).json()["status"] == "succeeded"


def test_repeated_notifications_pay_once(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    declared = declare(client, world.zhang_headers)
    body = open_payment(client, world.zhang_headers, declared["id"]).json()
    client.post(f"/sandbox/alipay/trades/{body['out_trade_no']}/pay")
    eticket = load_payment(runtime, body["id"]).eticket_no
    sent = client.post(f"/sandbox/alipay/trades/{body['out_trade_no']}/notify", json={"copies": 3})
    assert sent.status_code == 200
    assert load_payment(runtime, body["id"]).eticket_no == eticket
    with runtime.db.session() as s:
        assert s.scalar(select(func.count()).select_from(ChannelEvent)) == 1
        assert s.scalar(select(func.count()).where(AuditEntry.action == "payment.succeeded")) == 1


def test_a_lost_notification_is_settled_by_the_query_job(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    declared = declare(client, world.zhang_headers)
    body = open_payment(client, world.zhang_headers, declared["id"]).json()
    assert (
        client.post(f"/sandbox/alipay/trades/{body['out_trade_no']}/pay", json={"notify": False}).status_code
        == 200
    )
    assert load_payment(runtime, body["id"]).status == "pending"
    assert settle_due(runtime) == 0  # the first query is not due yet
    move_clock(runtime, timedelta(seconds=16))
    assert settle_due(runtime) == 1
    assert load_payment(runtime, body["id"]).status == "succeeded"
    assert load_declaration(runtime, declared["id"]).payment_status == "paid"


def test_an_unknown_payment_blocks_a_second_one_until_settled(
    client, world, runtime, routed, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    declared = declare(client, world.zhang_headers)
    adapter = adapter_for("alipay", runtime)

    def timeout(order):  # type: ignore[no-untyped-def]
        raise ChannelTimeout("no answer")

    monkeypatch.setattr(adapter, "create", timeout)
    first = open_payment(client, world.zhang_headers, declared["id"])
    assert first.status_code == 201 and first.json()["status"] == "unknown"
    monkeypatch.undo()
    second = open_payment(client, world.zhang_headers, declared["id"])
    assert second.status_code == 409
    assert second.json()["error"]["message"] == "缴费结果确认中，请稍后再试"
    void = client.post(f"/api/v1/declarations/{declared['id']}/void", headers=world.zhang_headers)
    assert void.status_code == 409 and void.json()["error"]["message"] == "缴费结果确认中，暂不能作废"
    # The provider never saw the trade: the query job settles it as closed, then paying works.
    settle_due(runtime)
    assert load_payment(runtime, first.json()["id"]).status == "closed"
    assert open_payment(client, world.zhang_headers, declared["id"]).status_code == 201


def test_a_new_payment_closes_the_open_one_first(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    declared = declare(client, world.zhang_headers)
    first = open_payment(client, world.zhang_headers, declared["id"]).json()
    second = open_payment(client, world.zhang_headers, declared["id"]).json()
    assert load_payment(runtime, first["id"]).status == "closed"
    assert client.get(f"/sandbox/alipay/trades/{first['out_trade_no']}").json()["status"] == "TRADE_CLOSED"
    assert second["status"] == "pending" and second["out_trade_no"] != first["out_trade_no"]


def test_a_late_success_after_close_pays_an_unpaid_declaration(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    declared = declare(client, world.zhang_headers)
    body = open_payment(client, world.zhang_headers, declared["id"]).json()
    client.post(f"/sandbox/alipay/trades/{body['out_trade_no']}/pay", json={"notify": False})
    with transaction(runtime) as s:  # closed here (say, expired) while the provider's success was in flight
        apply_end(s, s.get(Payment, uuid.UUID(body["id"])), "closed", now=runtime.clock.now())
    client.post(f"/sandbox/alipay/trades/{body['out_trade_no']}/notify", json={"copies": 1})
    found = load_payment(runtime, body["id"])
    assert (found.status, found.duplicate) == ("succeeded", False)
    assert load_declaration(runtime, declared["id"]).payment_status == "paid"


def test_a_late_success_on_a_paid_declaration_is_a_duplicate_to_refund(
    client, world, runtime, routed
) -> None:  # type: ignore[no-untyped-def]
    declared = declare(client, world.zhang_headers)
    first = open_payment(client, world.zhang_headers, declared["id"]).json()
    client.post(f"/sandbox/alipay/trades/{first['out_trade_no']}/pay", json={"notify": False})
    with transaction(runtime) as s:
        apply_end(s, s.get(Payment, uuid.UUID(first["id"])), "closed", now=runtime.clock.now())
    second = open_payment(client, world.zhang_headers, declared["id"]).json()
    client.post(f"/sandbox/alipay/trades/{second['out_trade_no']}/pay")
    assert load_payment(runtime, second["id"]).status == "succeeded"
    client.post(f"/sandbox/alipay/trades/{first['out_trade_no']}/notify", json={"copies": 1})
    late = client.get(f"/api/v1/payments/{first['id']}", headers=world.zhang_headers).json()
    assert (late["status"], late["duplicate"], late["refund_status"], late["eticket_no"]) == (
        "succeeded",
        True,
        "to_refund",
        None,
    )
    assert late["status_label"] == "重复缴费，待退款"
    with runtime.db.session() as s:
        assert s.scalar(select(func.count()).where(AuditEntry.action == "payment.duplicate")) == 1


def test_an_unpaid_payment_expires_and_is_closed_at_the_provider(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    declared = declare(client, world.zhang_headers)
    body = open_payment(client, world.zhang_headers, declared["id"]).json()
    move_clock(runtime, timedelta(minutes=31))
    settle_due(runtime)
    assert load_payment(runtime, body["id"]).status == "closed"
    assert client.get(f"/sandbox/alipay/trades/{body['out_trade_no']}").json()["status"] == "TRADE_CLOSED"


def test_idempotency_key(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    declared = declare(client, world.zhang_headers)
    first = open_payment(client, world.zhang_headers, declared["id"], **{"Idempotency-Key": "k-1"})
    again = open_payment(client, world.zhang_headers, declared["id"], **{"Idempotency-Key": "k-1"})
    assert first.status_code == 201 and again.json()["id"] == first.json()["id"]
    other = client.post(
        "/api/v1/payments",
        json={"declaration_id": declared["id"], "method": "wechat"},
        headers={**world.zhang_headers, "Idempotency-Key": "k-1"},
    )
    assert other.status_code in (409, 422)
    with runtime.db.session() as s:
        assert s.scalar(select(func.count()).select_from(Payment)) == 1


def test_paying_a_family_members_declaration(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    declared = declare(client, world.zhang_headers, payer_id=world.li_family_id)
    body = open_payment(client, world.zhang_headers, declared["id"]).json()
    assert body["for_other"] is True and body["amount_fen"] == 46000
    client.post(f"/sandbox/alipay/trades/{body['out_trade_no']}/pay")
    found = load_payment(runtime, body["id"])
    assert (found.payer_id, found.person_id, found.status) == (world.zhang.id, world.li.id, "succeeded")
    # The member sees the payment made for them; a stranger does not.
    assert client.get(f"/api/v1/payments/{body['id']}", headers=world.li_headers).status_code == 200
    assert client.get(f"/api/v1/payments/{body['id']}", headers=world.wang_headers).status_code == 404


def test_bad_payment_requests_are_4xx(client, world, routed) -> None:  # type: ignore[no-untyped-def]
    declared = declare(client, world.zhang_headers)
    cases = [
        {"declaration_id": declared["id"], "method": "bitcoin"},
        {"declaration_id": declared["id"], "method": "alipay", "amount_fen": 1},
        {"declaration_id": "nope", "method": "alipay"},
        {"declaration_id": str(uuid.uuid4()), "method": "alipay"},
    ]
    for case in cases:
        answer = client.post("/api/v1/payments", json=case, headers=world.zhang_headers)
        assert 400 <= answer.status_code < 500, case
    assert open_payment(client, world.wang_headers, declared["id"]).status_code == 404
    wechat_mp = {**world.zhang_headers, "X-Shebao-Channel": "wechat_mp"}

    def offered(headers: dict[str, str]) -> list[str]:
        return [m["code"] for m in client.get("/api/v1/payment-methods", headers=headers).json()["items"]]

    assert offered(wechat_mp) == ["wechat", "agreement"]
    assert offered(world.zhang_headers) == ["alipay", "wechat", "unionpay", "agreement"]


def test_garbage_and_forged_notifications_change_nothing(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    declared = declare(client, world.zhang_headers)
    body = open_payment(client, world.zhang_headers, declared["id"]).json()
    for raw in [b"", b"garbage", f"out_trade_no={body['out_trade_no']}&trade_status=TRADE_SUCCESS".encode()]:
        answer = client.post(
            "/api/v1/channels/alipay/notify",
            content=raw,
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        assert answer.status_code == 400
    assert client.post("/api/v1/channels/nope/notify", content=b"x").status_code == 404
    assert load_payment(runtime, body["id"]).status == "pending"
    with runtime.db.session() as s:
        assert s.scalar(select(func.count()).select_from(ChannelEvent)) == 0
        assert s.scalar(select(func.count()).select_from(Payable).where(Payable.status == "paid")) == 0


def test_a_notification_with_another_amount_is_refused(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    from shebao.sandbox.alipay.models import SandboxAlipayTrade

    declared = declare(client, world.zhang_headers)
    body = open_payment(client, world.zhang_headers, declared["id"]).json()
    with transaction(runtime) as s:  # the provider's record says another amount (tampering upstream)
        trade = s.scalars(
            select(SandboxAlipayTrade).where(SandboxAlipayTrade.out_trade_no == body["out_trade_no"])
        ).one()
        trade.amount_fen = 1
    client.post(f"/sandbox/alipay/trades/{body['out_trade_no']}/pay")
    assert load_payment(runtime, body["id"]).status == "pending"
    assert load_declaration(runtime, declared["id"]).payment_status == "unpaid"
    with runtime.db.session() as s:
        assert s.scalars(select(ChannelEvent.outcome)).all() == ["amount_mismatch"]


def test_result_page_waits_then_shows_success(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    from tests.support.login import cookie_login

    csrf = cookie_login(client, runtime, world.zhang)
    declared = declare(client, world.zhang_headers)
    choose = client.get(f"/pay/{declared['id']}")
    assert "支付宝" in choose.text and "确认缴费" in choose.text and "¥795.00" in choose.text
    go = client.post(
        f"/pay/{declared['id']}", data={"csrf_token": csrf, "method": "alipay"}, follow_redirects=False
    )
    assert go.status_code == 303 and "/sandbox/alipay/gateway.do" in go.headers["location"]
    payment_id = _latest_payment(runtime)
    waiting = client.get(f"/payments/{payment_id}/result")
    assert "正在确认缴费结果" in waiting.text and 'http-equiv="refresh"' in waiting.text
    # Progress and why: how long so far, what it waits for, and when it asks the provider itself.
    assert "支付宝¥795.00，已等待 0 秒" in waiting.text
    assert "正在等待支付宝通知缴费结果；5 秒内未收到通知，系统会主动向支付宝查询" in waiting.text
    client.post(f"/sandbox/alipay/trades/{load_payment(runtime, payment_id).out_trade_no}/pay")
    done = client.get(f"/payments/{payment_id}/result").text
    assert "支付成功" in done and "¥795.00" in done and "电子税票号码" in done
    assert re.search(r"3110102\d{13}", done)


def _latest_payment(runtime) -> str:  # type: ignore[no-untyped-def]
    with runtime.db.session() as s:
        return str(s.scalars(select(Payment.id).order_by(Payment.created_at.desc())).first())


def test_an_in_app_payment_without_the_platform_user_is_422_and_creates_nothing(
    client, world, runtime, routed
) -> None:  # type: ignore[no-untyped-def]
    declared = declare(client, world.zhang_headers)
    for channel, method in (("alipay_mp", "alipay"), ("wechat_mp", "wechat")):
        answer = client.post(
            "/api/v1/payments",
            json={"declaration_id": declared["id"], "method": method},
            headers={**world.zhang_headers, "X-Shebao-Channel": channel},
        )
        assert answer.status_code == 422, (channel, answer.text)
        assert answer.json()["error"]["code"] == "platform_user_missing"
    with runtime.db.session() as s:
        assert s.scalar(select(func.count()).select_from(Payment)) == 0
