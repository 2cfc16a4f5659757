"""对账 in the console: differences listed and filtered, resolved once with a reason (operator and above),
a day's statement reconciled on demand; the pages show the same."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from fastapi.testclient import TestClient
from sqlalchemy import select

from shebao.audit.models import AuditEntry
from shebao.reconciliation.models import StatementRun
from shebao.runtime import Runtime
from tests.support.console import staff_headers
from tests.support.ops import add_issue, csrf
from tests.support.payments import declare, open_payment
from tests.support.people import transaction

API = "/api/v1/console/reconciliation"


def add_run(runtime: Runtime) -> uuid.UUID:
    with transaction(runtime) as s:
        run = StatementRun(
            channel="wechat",
            bill_date=date(2025, 11, 19),
            digest="d" * 64,
            lines=12,
            matched=10,
            settled=1,
            issues=2,
            ran_at=datetime(2025, 11, 20, 1, 7, tzinfo=UTC),
        )
        s.add(run)
        s.flush()
        return run.id


def test_differences_are_listed_resolved_once_and_filtered(client: TestClient, runtime: Runtime) -> None:
    first = add_issue(runtime, out_trade_no="T1")
    second = add_issue(runtime, out_trade_no="T2", kind="missing_in_statement")
    viewer = staff_headers(client, runtime, role="viewer")
    operator = staff_headers(client, runtime, role="operator", username="wang.op")

    listed = client.get(f"{API}/issues", params={"status": "open"}, headers=viewer)
    assert listed.status_code == 200
    assert [(i["out_trade_no"], i["kind_label"], i["status_label"]) for i in listed.json()["items"]] == [
        ("T2", "本系统已缴款、对账单无记录", "待核对"),
        ("T1", "渠道有、本系统无的交易", "待核对"),
    ]
    assert listed.json()["items"][1]["statement_amount_fen"] == 12_345

    refused = client.post(f"{API}/issues/{first}/resolve", json={"reason": "已核实"}, headers=viewer)
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "forbidden")
    done = client.post(f"{API}/issues/{first}/resolve", json={"reason": "已与支付宝核实"}, headers=operator)
    assert done.status_code == 200, done.text
    assert {k: done.json()[k] for k in ("status", "status_label", "resolved_by", "resolution")} == {
        "status": "resolved",
        "status_label": "已处理",
        "resolved_by": "wang.op",
        "resolution": "已与支付宝核实",
    }
    again = client.post(f"{API}/issues/{first}/resolve", json={"reason": "再次"}, headers=operator)
    assert (again.status_code, again.json()["error"]["message"]) == (409, "该对账差异已处理，不能重复处理")

    resolved = client.get(f"{API}/issues", params={"status": "resolved"}, headers=viewer).json()["items"]
    assert [i["id"] for i in resolved] == [str(first)]
    still_open = client.get(f"{API}/issues", params={"status": "open"}, headers=viewer).json()["items"]
    assert [i["id"] for i in still_open] == [str(second)]
    with runtime.db.session() as s:
        audit = s.scalars(select(AuditEntry).where(AuditEntry.object_id == str(first))).all()
        assert [(a.action, a.actor_type, a.actor_id, a.channel) for a in audit] == [
            ("reconciliation_issue.resolved", "operator", "wang.op", "console")
        ]


def test_bad_input_is_a_clear_4xx_and_changes_nothing(client: TestClient, runtime: Runtime) -> None:
    issue = add_issue(runtime)
    operator = staff_headers(client, runtime)
    for body in ({}, {"reason": ""}, {"reason": "   "}):
        answer = client.post(f"{API}/issues/{issue}/resolve", json=body, headers=operator)
        assert answer.status_code == 422, body
    assert (
        client.post(f"{API}/issues/{issue}/resolve", json={"reason": "   "}, headers=operator).json()[
            "error"
        ]["message"]
        == "请填写处理说明"
    )
    unknown = client.post(f"{API}/issues/{uuid.uuid4()}/resolve", json={"reason": "x"}, headers=operator)
    assert (unknown.status_code, unknown.json()["error"]["message"]) == (404, "未找到该对账差异")
    assert client.get(f"{API}/issues/{uuid.uuid4()}", headers=operator).status_code == 404
    assert client.get(f"{API}/issues/not-an-id", headers=operator).status_code == 422
    assert (
        client.post(f"{API}/issues/not-an-id/resolve", json={"reason": "x"}, headers=operator).status_code
        == 422
    )
    assert client.get(f"{API}/issues", params={"status": "closed"}, headers=operator).status_code == 422
    assert client.get(f"{API}/issues", params={"date": "2025-13-01"}, headers=operator).status_code == 422
    assert client.get(f"{API}/issues").status_code == 401
    assert client.get(f"{API}/issues/{issue}", headers=operator).json()["status"] == "open"


def test_runs_are_listed_and_a_day_is_reconciled_on_demand(
    client: TestClient, world, runtime: Runtime, routed
) -> None:  # type: ignore[no-untyped-def]
    add_run(runtime)
    declared = declare(client, world.zhang_headers)
    paid = open_payment(client, world.zhang_headers, declared["id"]).json()
    client.post(f"/sandbox/alipay/trades/{paid['out_trade_no']}/pay", json={"notify": False})
    viewer = staff_headers(client, runtime, role="viewer")
    operator = staff_headers(client, runtime)
    today = runtime.clock.today().isoformat()

    too_soon = client.post(f"{API}/runs", json={"date": today, "channel": "alipay"}, headers=operator)
    assert (too_soon.status_code, too_soon.json()["error"]["message"]) == (
        422,
        "只能对已结束的日期对账（北京时间今天之前）",
    )
    assert (
        client.post(
            f"{API}/runs", json={"date": "2025-11-32", "channel": "alipay"}, headers=operator
        ).status_code
        == 422
    )
    assert (
        client.post(f"{API}/runs", json={"date": today, "channel": "moon"}, headers=operator).status_code
        == 422
    )
    assert (
        client.post(f"{API}/runs", json={"date": today, "channel": "alipay"}, headers=viewer).status_code
        == 403
    )

    with transaction(runtime) as s:
        runtime.clock.move_to(s, datetime.fromisoformat("2025-11-21T09:00:00+08:00"))
    operator = staff_headers(client, runtime, username="next.day")
    done = client.post(f"{API}/runs", json={"date": "2025-11-20", "channel": "alipay"}, headers=operator)
    assert done.status_code == 200, done.text
    assert {k: done.json()[k] for k in ("already_processed", "lines", "matched", "settled", "issues")} == {
        "already_processed": False,
        "lines": 1,
        "matched": 1,
        "settled": 1,
        "issues": 0,
    }
    again = client.post(f"{API}/runs", json={"date": "2025-11-20", "channel": "alipay"}, headers=operator)
    assert again.json()["already_processed"] is True
    runs = client.get(f"{API}/runs", headers=operator).json()["items"]
    assert [(r["channel_label"], r["bill_date"], r["lines"], r["settled"]) for r in runs] == [
        ("支付宝", "2025-11-20", 1, 1),
        ("微信支付", "2025-11-19", 12, 1),
    ]


def test_the_page_lists_resolves_and_says_bad_input_beside_the_field(
    client: TestClient, runtime: Runtime
) -> None:
    issue = add_issue(runtime)
    add_run(runtime)
    operator = staff_headers(client, runtime)
    token = csrf(client)
    page = client.get("/console/reconciliation", headers=operator)
    assert page.status_code == 200
    for text in (
        "对账差异",
        "渠道有、本系统无的交易",
        "¥123.45",
        "待核对",
        "对账记录",
        "微信支付",
        "手动对账",
    ):
        assert text in page.text, text

    empty = client.post(
        f"/console/reconciliation/issues/{issue}/resolve",
        data={"reason": " ", "csrf_token": token},
        headers=operator,
    )
    assert empty.status_code == 422
    assert f'id="reason-error-{issue}">请填写处理说明</span>' in empty.text
    done = client.post(
        f"/console/reconciliation/issues/{issue}/resolve",
        data={"reason": "已核实", "csrf_token": token, "status": "open"},
        headers=operator,
        follow_redirects=False,
    )
    assert (done.status_code, done.headers["location"]) == (
        303,
        "/console/reconciliation?status=open&channel=&done=resolved",
    )
    resolved = client.get("/console/reconciliation?status=resolved", headers=operator)
    assert "已处理该对账差异" not in resolved.text and "已核实" in resolved.text
    twice = client.post(
        f"/console/reconciliation/issues/{issue}/resolve",
        data={"reason": "再次", "csrf_token": token},
        headers=operator,
    )
    assert twice.status_code == 409 and "该对账差异已处理，不能重复处理" in twice.text

    bad_date = client.post(
        "/console/reconciliation/runs",
        data={"date": "2025-02-30", "channel": "alipay", "csrf_token": token},
        headers=operator,
    )
    assert bad_date.status_code == 422
    assert 'id="r-date-error">日期格式应为 YYYY-MM-DD，如 2025-11-20</span>' in bad_date.text
    today = client.post(
        "/console/reconciliation/runs",
        data={"date": runtime.clock.today().isoformat(), "channel": "alipay", "csrf_token": token},
        headers=operator,
    )
    assert today.status_code == 422
    assert 'id="r-date-error">只能对已结束的日期对账（北京时间今天之前）</span>' in today.text
