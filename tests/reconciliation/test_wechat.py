"""Reconciliation of WeChat Pay's trade bill (API v3) through the sandbox: what test_alipay.py checks for
Alipay, and the bill's own format and checks."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from shebao.channels.base import ChannelError, ChannelOrder
from shebao.channels.wechat import bill
from shebao.payments.models import Payment
from shebao.payments.registry import adapter_for
from shebao.reconciliation.models import ReconciliationIssue, StatementRun
from shebao.reconciliation.service import ReconcileRefused, reconcile, statement_channels
from shebao.sandbox.wechat.models import SandboxWechatTrade
from tests.support.payments import declare, open_payment_by
from tests.support.people import transaction

DAY = date(2025, 11, 20)
METHOD = "wechat"


def _next_day(runtime) -> None:  # type: ignore[no-untyped-def]
    with transaction(runtime) as s:
        runtime.clock.move_to(s, datetime.fromisoformat("2025-11-21T09:00:00+08:00"))


def _paid(client, world, *, notify: bool) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    declared = declare(client, world.zhang_headers)
    opened = open_payment_by(client, world.zhang_headers, declared["id"], METHOD)
    assert opened.status_code == 201, opened.text
    body: dict[str, Any] = opened.json()
    paid = client.post(f"/sandbox/wechat/trades/{body['out_trade_no']}/pay", json={"notify": notify})
    assert paid.status_code == 200, paid.text
    return body


def _status(runtime, payment_id: str) -> str:  # type: ignore[no-untyped-def]
    with runtime.db.session() as s:
        found = s.get(Payment, uuid.UUID(payment_id))
        assert found is not None
        return found.status


def _set_amount(runtime, out_trade_no: str, amount_fen: int) -> None:  # type: ignore[no-untyped-def]
    with transaction(runtime) as s:
        trade = s.scalars(
            select(SandboxWechatTrade).where(SandboxWechatTrade.out_trade_no == out_trade_no)
        ).one()
        trade.amount_fen = amount_fen


def test_wechat_is_a_statement_channel(runtime) -> None:  # type: ignore[no-untyped-def]
    assert METHOD in statement_channels(runtime)


def test_a_missed_notification_is_settled_by_reconciliation(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    body = _paid(client, world, notify=False)
    assert _status(runtime, body["id"]) == "pending"
    _next_day(runtime)
    summary = reconcile(runtime, METHOD, DAY)
    assert (summary.lines, summary.matched, summary.settled, summary.findings) == (1, 1, 1, [])
    assert _status(runtime, body["id"]) == "succeeded"
    with runtime.db.session() as s:
        payment = s.get(Payment, uuid.UUID(body["id"]))
        trade = s.scalars(
            select(SandboxWechatTrade).where(SandboxWechatTrade.out_trade_no == body["out_trade_no"])
        ).one()
        assert payment is not None and payment.provider_trade_no == trade.transaction_id


def test_a_mismatch_and_an_unknown_payment_are_reported_and_nothing_changes(
    client, world, runtime, routed
) -> None:  # type: ignore[no-untyped-def]
    body = _paid(client, world, notify=False)
    _set_amount(runtime, body["out_trade_no"], 79400)  # the provider's record says another amount
    stranger = ChannelOrder(
        out_trade_no="NOTOURS0001",
        amount_fen=1000,
        subject="?",
        client_channel="h5",
        platform_user_id=None,
        notify_url="http://testserver/none",
        return_url="http://testserver/",
        expires_at=runtime.clock.now() + timedelta(minutes=30),
    )
    adapter_for(METHOD, runtime).create(stranger)
    client.post("/sandbox/wechat/trades/NOTOURS0001/pay", json={"notify": False})
    _next_day(runtime)
    summary = reconcile(runtime, METHOD, DAY)
    kinds = sorted(
        (f.kind, f.out_trade_no, f.statement_amount_fen, f.our_amount_fen) for f in summary.findings
    )
    assert kinds == [
        ("amount_mismatch", body["out_trade_no"], 79400, 79500),
        ("unknown_payment", "NOTOURS0001", 1000, None),
    ]
    assert _status(runtime, body["id"]) == "pending"  # never changed silently
    with runtime.db.session() as s:
        assert s.scalar(select(func.count()).select_from(ReconciliationIssue)) == 2


def test_the_same_statement_twice_changes_nothing_and_a_later_one_is_processed(
    client, world, runtime, routed
) -> None:  # type: ignore[no-untyped-def]
    body = _paid(client, world, notify=False)
    _next_day(runtime)
    first = reconcile(runtime, METHOD, DAY)
    again = reconcile(runtime, METHOD, DAY)
    assert (first.settled, again.already_processed) == (1, True)
    _set_amount(runtime, body["out_trade_no"], 1)  # a corrected bill of the same day: another content
    later = reconcile(runtime, METHOD, DAY)
    assert later.already_processed is False and [f.kind for f in later.findings] == ["amount_mismatch"]
    with runtime.db.session() as s:
        assert s.scalar(select(func.count()).select_from(StatementRun)) == 2


def test_a_success_the_statement_does_not_list_is_reported(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    body = _paid(client, world, notify=True)
    assert _status(runtime, body["id"]) == "succeeded"
    with transaction(runtime) as s:  # the provider lost it (or it was never theirs)
        s.delete(
            s.scalars(
                select(SandboxWechatTrade).where(SandboxWechatTrade.out_trade_no == body["out_trade_no"])
            ).one()
        )
    _next_day(runtime)
    summary = reconcile(runtime, METHOD, DAY)
    assert [(f.kind, f.out_trade_no, f.our_amount_fen) for f in summary.findings] == [
        ("missing_in_statement", body["out_trade_no"], 79500)
    ]


def test_only_a_closed_day(runtime, set_now) -> None:  # type: ignore[no-untyped-def]
    set_now("2025-11-20T09:00:00+08:00")
    with pytest.raises(ReconcileRefused, match="只能对已结束的日期对账"):
        reconcile(runtime, METHOD, DAY)


def test_the_sandbox_bill_is_signed_hashed_and_in_wechat_format(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    body = _paid(client, world, notify=False)
    _next_day(runtime)
    statement = adapter_for(METHOD, runtime).statement(DAY)  # type: ignore[attr-defined]
    text = statement.raw.decode("utf-8").splitlines()
    assert text[0] == ",".join(bill.HEADER)
    assert text[1].startswith("`2025-11-20 ") and f"`{body['out_trade_no']}," in text[1]
    assert ",`SUCCESS,`OTHERS,`CNY,`795.00," in text[1]
    assert text[2:] == [",".join(bill.SUMMARY_HEADER), "`1,`795.00,`0.00,`0.00,`0.00,`795.00,`0.00"]
    # the download itself is a signed v3 GET: unsigned, it is refused
    url = client.get("/sandbox/wechat/v3/billdownload/file?token=QUxMfDIwMjUtMTEtMjA=")
    assert (url.status_code, url.json()["code"]) == (401, "SIGN_ERROR")


def test_today_has_no_bill(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ChannelError, match="NO_STATEMENT_EXIST"):
        adapter_for(METHOD, runtime).statement(runtime.clock.today())  # type: ignore[attr-defined]


def test_a_bill_whose_sha1_differs_is_refused(client, world, runtime, routed, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    _paid(client, world, notify=False)
    _next_day(runtime)
    monkeypatch.setattr(bill, "sha1_matches", lambda raw, kind, value: False)
    with pytest.raises(ReconcileRefused, match="摘要校验失败"):
        reconcile(runtime, METHOD, DAY)
    with runtime.db.session() as s:
        assert s.scalar(select(func.count()).select_from(StatementRun)) == 0


# --- the parser, on a hand-written bill --------------------------------------------------------------

HAND_WRITTEN = (
    ",".join(bill.HEADER) + "\r\n"
    "`2025-11-20 10:15:02,`wxd678efh567hg6787,`1230000109,`0,`,`4200000001202511200000000001,"
    "`SB20251120021500123456,`oUpF8uMuAJO_M2pxb1Q9zNjWeS6o,`MWEB,`SUCCESS,`OTHERS,`CNY,`7162.50,`0.00,"
    "`0,`0,`0.00,`0.00,`,`,`城乡居民医疗保险,`,`0.00,`0.60%,`7162.50,`0.00,`\r\n"
    "`2025-11-20 11:00:00,`wxd678efh567hg6787,`1230000109,`0,`,`4200000001202511200000000002,"
    "`SB20251120030000000001,`oUpF8uMuAJO_M2pxb1Q9zNjWeS6o,`JSAPI,`REVOKED,`OTHERS,`CNY,`1.00,`0.00,"
    "`0,`0,`0.00,`0.00,`,`,`x,`,`0.00,`0.60%,`1.00,`0.00,`\r\n"
    "`2025-11-20 16:40:00,`wxd678efh567hg6787,`1230000109,`0,`,`4200000001202511200000000001,"
    "`SB20251120021500123456,`oUpF8uMuAJO_M2pxb1Q9zNjWeS6o,`MWEB,`REFUND,`OTHERS,`CNY,`0.00,`0.00,"
    "`50300000012025112000001,`RF1,`0.01,`0.00,`ORIGINAL,`SUCCESS,`城乡居民医疗保险,`,`0.00,`0.60%,"
    "`0.00,`0.01,`\r\n"
    + ",".join(bill.SUMMARY_HEADER)
    + "\r\n`3,`7163.50,`0.01,`0.00,`0.00,`7163.50,`0.01\r\n"
).encode("utf-8")


def test_parse_a_hand_written_bill_to_exact_fen() -> None:
    statement = bill.parse(HAND_WRITTEN, DAY)
    assert [(ln.kind, ln.out_trade_no, ln.provider_trade_no, ln.amount_fen) for ln in statement.lines] == [
        ("payment", "SB20251120021500123456", "4200000001202511200000000001", 716250),
        ("refund", "SB20251120021500123456", "50300000012025112000001", 1),
    ]
    assert statement.lines[0].completed_at == datetime(2025, 11, 20, 2, 15, 2, tzinfo=UTC)
    assert statement.channel == "wechat" and statement.raw == HAND_WRITTEN
    assert bill.sha1_matches(
        HAND_WRITTEN, "SHA1", hashlib.sha1(HAND_WRITTEN, usedforsecurity=False).hexdigest().upper()
    )
    assert not bill.sha1_matches(
        HAND_WRITTEN, "SHA256", hashlib.sha1(HAND_WRITTEN, usedforsecurity=False).hexdigest()
    )


@pytest.mark.parametrize(
    "broken",
    [
        b"",
        HAND_WRITTEN.replace("交易时间".encode(), "时间".encode(), 1),
        HAND_WRITTEN.replace(b"`7162.50,`0.00,`\r\n", b"`7162.505,`0.00,`\r\n"),
        HAND_WRITTEN[: HAND_WRITTEN.index("总交易单数".encode())],  # cut short: no summary
        HAND_WRITTEN.replace(b"`MWEB,`SUCCESS", b"`SUCCESS", 1),  # a field missing
        "交易时间".encode("gbk"),
    ],
)
def test_a_malformed_bill_is_refused(broken: bytes) -> None:
    with pytest.raises(ChannelError):
        bill.parse(broken, DAY)
