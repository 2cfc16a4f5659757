from __future__ import annotations

import uuid
from pathlib import Path

from sqlalchemy import func, select
from typer.testing import CliRunner

from shebao.payments.models import Payment
from tests.support.elsewhere import feed, feed_row
from tests.support.payments import declare, open_payment
from tests.support.people import ZHANG_SAN
from tests.support.world import payable_ids


def test_a_counter_payment_shows_everywhere_and_blocks_paying_twice(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    ids = payable_ids(client, world.zhang_headers, "resident_medical")
    answer = feed(client, runtime, [feed_row()])
    assert answer.status_code == 200, answer.text
    assert answer.json()["items"] == [{"line": 2, "status": "applied", "reason": "已入账"}]
    assert payable_ids(client, world.zhang_headers, "resident_medical", status="paid") == ids
    [declaration] = client.get("/api/v1/declarations", headers=world.zhang_headers).json()["items"]
    assert (declaration["channel"], declaration["payment_status"], declaration["total_fen"]) == (
        "counter",
        "paid",
        79500,
    )
    [record] = client.get("/api/v1/payment-records", headers=world.zhang_headers).json()["items"]
    assert (record["channel_label"], record["method_label"], record["eticket_no"]) == (
        "办税服务厅",
        "柜台或银行缴款",
        "320251120000000001",
    )
    again = client.post("/api/v1/declarations", json={"payable_ids": ids}, headers=world.zhang_headers)
    assert again.status_code == 409 and again.json()["error"]["message"] == "所选缴费数据已缴款，无需再次申报"
    # The same feed again changes nothing.
    assert feed(client, runtime, [feed_row()]).json()["items"][0]["status"] == "unchanged"
    with runtime.db.session() as s:
        assert s.scalar(select(func.count()).select_from(Payment)) == 1


def test_paid_elsewhere_against_our_declaration(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    declared = declare(client, world.zhang_headers)
    answer = feed(client, runtime, [feed_row(channel="bank", declaration_id=declared["id"])])
    assert answer.json()["items"][0]["status"] == "applied"
    refused = open_payment(client, world.zhang_headers, declared["id"])
    assert refused.status_code == 409 and refused.json()["error"]["message"] == "该申报已缴款，无需重复缴费"


def test_a_payment_elsewhere_meets_an_open_payment_here(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    declared = declare(client, world.zhang_headers)
    opened = open_payment(client, world.zhang_headers, declared["id"]).json()
    assert (
        feed(client, runtime, [feed_row(declaration_id=declared["id"])]).json()["items"][0]["status"]
        == "applied"
    )
    with runtime.db.session() as s:
        here = s.get(Payment, uuid.UUID(opened["id"]))
        assert here is not None and here.status == "closed"  # closed at the provider once paid elsewhere
    # Had the payer paid at the provider all the same, that money is a duplicate to refund.
    client.post(f"/sandbox/alipay/trades/{opened['out_trade_no']}/pay", json={"force": True})
    late = client.get(f"/api/v1/payments/{opened['id']}", headers=world.zhang_headers).json()
    assert (late["status"], late["duplicate"], late["refund_status"]) == ("succeeded", True, "to_refund")


def test_paying_elsewhere_what_was_paid_here_is_a_duplicate(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    declared = declare(client, world.zhang_headers)
    opened = open_payment(client, world.zhang_headers, declared["id"]).json()
    client.post(f"/sandbox/alipay/trades/{opened['out_trade_no']}/pay")
    answer = feed(client, runtime, [feed_row()])
    assert answer.json()["items"][0] == {
        "line": 2,
        "status": "duplicate",
        "reason": "该申报已缴款，本笔记为重复缴费待退款",
    }


def test_bad_rows_are_rejected_with_reasons_and_write_nothing(client, world, runtime) -> None:  # type: ignore[no-untyped-def]
    rows = [
        feed_row(source_id="A", id_number="11010119900307182X"),
        feed_row(source_id="B", id_number="110101200001010010"),  # valid, but nobody enrolled
        feed_row(source_id="C", period_start="2030-01"),
        feed_row(source_id="D", amount_yuan="1.00"),
        feed_row(source_id="E", channel="moon"),
        feed_row(source_id="F", paid_at="yesterday"),
        {"source_id": "G"},
    ]
    items = feed(client, runtime, rows).json()["items"]
    assert [(i["line"], i["status"], i["reason"]) for i in items] == [
        (2, "rejected", "身份证号码校验位错误"),
        (3, "rejected", "未找到该缴费人的参保信息"),
        (4, "rejected", "未找到对应的应缴费信息：城乡居民基本医疗保险费 2030-01"),
        (5, "rejected", "缴款金额少于应缴费额：城乡居民基本医疗保险费 2026-01"),
        (6, "rejected", "channel 应为 counter 或 bank"),
        (7, "rejected", "paid_at 应为带时区的时间，例如 2025-11-20T10:00:00+08:00"),
        (
            8,
            "rejected",
            "缺少必填项：channel、paid_at、id_type、id_number、scheme、levy_item、period_start、amount_yuan、eticket_no",
        ),
    ]
    with runtime.db.session() as s:
        assert s.scalar(select(func.count()).select_from(Payment)) == 0


def test_the_feed_api_needs_its_key(client, world, runtime) -> None:  # type: ignore[no-untyped-def]
    assert feed(client, runtime, [feed_row()], key="wrong").status_code == 401
    assert client.post("/api/v1/taxcore/payments", json={"rows": [feed_row()]}).status_code == 401
    assert feed(client, runtime, []).status_code == 422


def test_import_payments_command(world, runtime, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from shebao.cli import app
    from shebao.config import get_settings
    from shebao.elsewhere.rows import REQUIRED

    monkeypatch.setenv("SHEBAO_DATABASE_URL", runtime.settings.sqlalchemy_url)
    monkeypatch.setenv("SHEBAO_SECRET_KEY", runtime.settings.secret_key)
    monkeypatch.setenv("SHEBAO_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    header = (
        "source_id,channel,paid_at,id_type,id_number,scheme,levy_item,period_start,amount_yuan,eticket_no\n"
    )
    good = (
        f"TC9,bank,2025-11-20T10:00:00+08:00,resident_id,{ZHANG_SAN[1]},resident_medical,"
        "城乡居民基本医疗保险费,2026-01,795.00,320251120000000009\n"
    )
    bad = (
        "TC8,bank,2025-11-20T10:00:00+08:00,resident_id,110101200001010010,resident_medical,"
        "城乡居民基本医疗保险费,2026-01,795.00,3\n"
    )
    feed = tmp_path / "feed.csv"
    feed.write_text(header + good + bad, encoding="utf-8")
    report = tmp_path / "report.csv"
    try:
        result = CliRunner().invoke(app, ["import", "payments", str(feed), "--report", str(report)])
        assert result.exit_code == 1, result.output
        assert result.stdout == f"入账 1 行，重复缴费待退款 0 行，未变 0 行，拒绝 1 行；报告：{report}\n"
        assert "第3行被拒绝：未找到该缴费人的参保信息\n" in result.stderr
        assert report.read_text(encoding="utf-8").splitlines() == [
            "line,status,reason",
            "2,applied,已入账",
            "3,rejected,未找到该缴费人的参保信息",
        ]
        again = CliRunner().invoke(app, ["import", "payments", str(feed)])
        assert again.exit_code == 1 and "未变 1 行" in again.output
        (tmp_path / "broken.csv").write_text("nope\n1\n", encoding="utf-8")
        broken = CliRunner().invoke(app, ["import", "payments", str(tmp_path / "broken.csv")])
        assert broken.exit_code == 2
        assert broken.stderr == "无法读取文件：缺少列：" + "、".join(REQUIRED) + "；未知列：nope\n"
    finally:
        get_settings.cache_clear()
