from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from shebao.channels.base import ChannelOrder
from shebao.payments.models import Payment
from shebao.payments.registry import adapter_for
from shebao.reconciliation.models import ReconciliationIssue, StatementRun
from shebao.reconciliation.service import ReconcileRefused, reconcile
from shebao.sandbox.alipay.models import SandboxAlipayTrade
from tests.support.payments import declare, open_payment
from tests.support.people import transaction

DAY = date(2025, 11, 20)


def _next_day(runtime) -> None:  # type: ignore[no-untyped-def]
    with transaction(runtime) as s:
        runtime.clock.move_to(s, datetime.fromisoformat("2025-11-21T09:00:00+08:00"))


def _paid_without_notification(client, world) -> dict:  # type: ignore[no-untyped-def, type-arg]
    declared = declare(client, world.zhang_headers)
    body: dict = open_payment(client, world.zhang_headers, declared["id"]).json()  # type: ignore[type-arg]
    client.post(f"/sandbox/alipay/trades/{body['out_trade_no']}/pay", json={"notify": False})
    return body


def _status(runtime, payment_id: str) -> str:  # type: ignore[no-untyped-def]
    with runtime.db.session() as s:
        found = s.get(Payment, uuid.UUID(payment_id))
        assert found is not None
        return found.status


def test_a_missed_notification_is_settled_by_reconciliation(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    body = _paid_without_notification(client, world)
    assert _status(runtime, body["id"]) == "pending"
    _next_day(runtime)
    summary = reconcile(runtime, "alipay", DAY)
    assert (summary.lines, summary.matched, summary.settled, summary.findings) == (1, 1, 1, [])
    assert _status(runtime, body["id"]) == "succeeded"
    assert summary.report_path is not None and summary.report_path.read_text(
        encoding="utf-8"
    ).splitlines() == ["kind,kind_label,out_trade_no,provider_trade_no,statement_amount_fen,our_amount_fen"]


def test_a_mismatch_and_an_unknown_payment_are_reported_and_nothing_changes(
    client, world, runtime, routed
) -> None:  # type: ignore[no-untyped-def]
    body = _paid_without_notification(client, world)
    with transaction(runtime) as s:  # the provider's record says another amount
        trade = s.scalars(
            select(SandboxAlipayTrade).where(SandboxAlipayTrade.out_trade_no == body["out_trade_no"])
        ).one()
        trade.amount_fen = 79400
    stranger = ChannelOrder(
        out_trade_no="NOT-OURS-1",
        amount_fen=1000,
        subject="?",
        client_channel="h5",
        platform_user_id=None,
        notify_url="http://testserver/none",
        return_url="http://testserver/",
        expires_at=runtime.clock.now() + timedelta(minutes=30),
    )
    adapter_for("alipay", runtime).create(stranger)
    client.post("/sandbox/alipay/trades/NOT-OURS-1/pay", json={"notify": False})
    _next_day(runtime)
    summary = reconcile(runtime, "alipay", DAY)
    kinds = sorted(
        (f.kind, f.out_trade_no, f.statement_amount_fen, f.our_amount_fen) for f in summary.findings
    )
    assert kinds == [
        ("amount_mismatch", body["out_trade_no"], 79400, 79500),
        ("unknown_payment", "NOT-OURS-1", 1000, None),
    ]
    assert _status(runtime, body["id"]) == "pending"  # never changed silently
    with runtime.db.session() as s:
        assert s.scalar(select(func.count()).select_from(ReconciliationIssue)) == 2


def test_the_same_statement_twice_changes_nothing_and_a_later_one_is_processed(
    client, world, runtime, routed
) -> None:  # type: ignore[no-untyped-def]
    body = _paid_without_notification(client, world)
    _next_day(runtime)
    first = reconcile(runtime, "alipay", DAY)
    with transaction(runtime) as s:  # downloaded again later: a new export time, the same lines
        runtime.clock.move_to(s, datetime.fromisoformat("2025-11-21T10:30:00+08:00"))
    again = reconcile(runtime, "alipay", DAY)
    assert (first.settled, again.already_processed) == (1, True)
    with transaction(runtime) as s:  # a corrected statement of the same day: another content
        trade = s.scalars(
            select(SandboxAlipayTrade).where(SandboxAlipayTrade.out_trade_no == body["out_trade_no"])
        ).one()
        trade.amount_fen = 1
    later = reconcile(runtime, "alipay", DAY)
    assert later.already_processed is False and [f.kind for f in later.findings] == ["amount_mismatch"]
    with runtime.db.session() as s:
        assert s.scalar(select(func.count()).select_from(StatementRun)) == 2


def test_a_success_the_statement_does_not_list_is_reported(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    declared = declare(client, world.zhang_headers)
    body = open_payment(client, world.zhang_headers, declared["id"]).json()
    client.post(f"/sandbox/alipay/trades/{body['out_trade_no']}/pay")
    with transaction(runtime) as s:  # the provider lost it (or it was never theirs)
        trade = s.scalars(
            select(SandboxAlipayTrade).where(SandboxAlipayTrade.out_trade_no == body["out_trade_no"])
        ).one()
        s.delete(trade)
    _next_day(runtime)
    summary = reconcile(runtime, "alipay", DAY)
    assert [(f.kind, f.out_trade_no, f.our_amount_fen) for f in summary.findings] == [
        ("missing_in_statement", body["out_trade_no"], 79500)
    ]


def test_only_a_closed_day(runtime, set_now) -> None:  # type: ignore[no-untyped-def]
    set_now("2025-11-20T09:00:00+08:00")
    with pytest.raises(ReconcileRefused, match="只能对已结束的日期对账"):
        reconcile(runtime, "alipay", DAY)


def test_reconcile_command(client, world, runtime, routed, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from shebao.cli import app
    from shebao.config import get_settings

    _paid_without_notification(client, world)
    _next_day(runtime)
    monkeypatch.setenv("SHEBAO_DATABASE_URL", runtime.settings.sqlalchemy_url)
    monkeypatch.setenv("SHEBAO_SECRET_KEY", runtime.settings.secret_key)
    monkeypatch.setenv("SHEBAO_DATA_DIR", str(runtime.settings.data_dir))
    monkeypatch.setenv("SHEBAO_BASE_URL", "http://testserver")
    get_settings.cache_clear()
    try:
        ran = CliRunner().invoke(app, ["reconcile", "--date", "2025-11-20", "--channel", "alipay"])
        assert ran.exit_code == 0, ran.output
        assert "alipay 2025-11-20：对账单1笔，相符1笔，补记缴款成功1笔，差异0笔（待人工核对）" in ran.output
        assert (runtime.settings.data_dir / "reconciliation" / "alipay-2025-11-20.csv").exists()
        again = CliRunner().invoke(app, ["reconcile", "--date", "2025-11-20", "--channel", "alipay"])
        assert again.exit_code == 0 and "该对账单已处理过" in again.output
        assert CliRunner().invoke(app, ["reconcile", "--date", "nope"]).exit_code == 2
        assert (
            CliRunner().invoke(app, ["reconcile", "--date", "2025-11-21", "--channel", "alipay"]).exit_code
            == 2
        )
    finally:
        get_settings.cache_clear()


def test_operators_see_issues_and_refunds(client, world, runtime, routed, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from shebao.cli import app
    from shebao.config import get_settings

    body = _paid_without_notification(client, world)
    with transaction(runtime) as s:
        trade = s.scalars(
            select(SandboxAlipayTrade).where(SandboxAlipayTrade.out_trade_no == body["out_trade_no"])
        ).one()
        trade.amount_fen = 79400
    _next_day(runtime)
    reconcile(runtime, "alipay", DAY)
    monkeypatch.setenv("SHEBAO_DATABASE_URL", runtime.settings.sqlalchemy_url)
    monkeypatch.setenv("SHEBAO_SECRET_KEY", runtime.settings.secret_key)
    get_settings.cache_clear()
    try:
        issues = CliRunner().invoke(app, ["ops", "issues"])
        assert issues.exit_code == 0, issues.output
        assert (
            f"2025-11-20  alipay  金额不一致  {body['out_trade_no']}  对账单 79400 分 / 本系统 79500 分"
            in issues.output
        )
        assert "待核对 1 笔" in issues.output
        refunds = CliRunner().invoke(app, ["ops", "refunds"])
        assert refunds.exit_code == 0 and "退费 0 笔" in refunds.output
    finally:
        get_settings.cache_clear()
