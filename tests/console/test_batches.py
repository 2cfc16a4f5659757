"""批扣 in the console: runs with progress by outcome (an office's staff see their office's items), the
report with the command's figures and its CSV, the batch files for staff of all offices, and a run started
on the worker (refused while another holds the run lock)."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from shebao.audit.models import AuditEntry
from shebao.deductions.lock import run_lock
from shebao.deductions.models import DeductionRun
from shebao.deductions.run import run
from shebao.runtime import Runtime
from tests.support.agreements import XICHENG_OFFICE
from tests.support.console import DONGCHENG, staff_headers
from tests.support.deductions import agreements, create
from tests.support.ops import csrf

API = "/api/v1/console/batches"
DAY = date(2025, 11, 21)


@pytest.fixture
def ids(client, runtime, world, routed) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return agreements(client, runtime, world)


def two_settings(client: TestClient, world, ids: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    create(client, world.zhang_headers, ids["zhang"], payer_id=world.li_family_id, valid_to=2025)
    create(
        client,
        world.zhang_headers,
        ids["zhang"],
        scheme="resident_medical",
        annual_amount_fen=None,
        valid_from=2026,
    )


def only_run(runtime: Runtime) -> uuid.UUID:
    with runtime.db.session() as s:
        return s.scalars(select(DeductionRun.id)).one()


def test_a_run_shows_its_progress_report_and_files(client: TestClient, runtime: Runtime, world, ids) -> None:  # type: ignore[no-untyped-def]
    two_settings(client, world, ids)
    run(runtime, DAY)
    run_id = only_run(runtime)
    admin = staff_headers(client, runtime, role="admin", office=None)
    office = staff_headers(client, runtime, role="viewer", office=XICHENG_OFFICE)
    other = staff_headers(client, runtime, role="viewer", office=DONGCHENG)

    listed = client.get(API, headers=admin).json()["items"]
    assert [(r["run_date"], r["status_label"], r["total"], r["done"]) for r in listed] == [
        ("2025-11-21", "已完成", 2, 2)
    ]
    assert [(t["label"], t["count"], t["amount_fen"]) for t in listed[0]["by_outcome"]] == [
        ("扣款处理中", 0, 0),
        ("已发送银行", 0, 0),
        ("扣款成功", 2, 379_500),
        ("扣款失败", 0, 0),
        ("已取消", 0, 0),
    ]
    detail = client.get(f"{API}/{run_id}", headers=admin).json()
    assert [
        (x["outcome_label"], x["reason"], x["bank"], x["count"], x["amount_fen"]) for x in detail["report"]
    ] == [("扣款成功", "", "中国工商银行", 2, 379_500)]
    assert [(f["bank"], f["status_label"], f["item_count"], f["total_fen"]) for f in detail["files"]] == [
        ("中国工商银行", "已全部回盘", 2, 379_500)
    ]
    # the office of the settings sees its items, not the files; another office sees none of them
    mine = client.get(f"{API}/{run_id}", headers=office).json()
    assert (mine["total"], mine["done"], mine["files"], len(mine["report"])) == (2, 2, None, 1)
    theirs = client.get(f"{API}/{run_id}", headers=other).json()
    assert (theirs["total"], theirs["done"], theirs["files"], theirs["report"]) == (0, 0, None, [])

    report = client.get(f"{API}/{run_id}/report.csv", headers=admin)
    assert report.status_code == 200 and report.headers["content-type"] == "text/csv; charset=utf-8"
    with runtime.db.session() as s:
        found = s.get(DeductionRun, run_id)
        assert found is not None and found.report_path is not None
    with open(found.report_path, encoding="utf-8-sig", newline="") as command_report:
        assert list(csv.reader(io.StringIO(report.text.lstrip("\ufeff")))) == list(csv.reader(command_report))
    assert list(
        csv.reader(io.StringIO(client.get(f"{API}/{run_id}/report.csv", headers=other).text.lstrip("\ufeff")))
    ) == [["run_date", "outcome", "outcome_label", "reason", "bank_code", "bank", "count", "amount_fen"]]

    page = client.get(f"/console/batches/{run_id}", headers=admin)
    assert page.status_code == 200
    for text in ("扣款成功", "¥3,795.00", "中国工商银行", "批量扣款文件", "下载报告 CSV", "2 / 2 笔"):
        assert text in page.text, text
    assert 'http-equiv="refresh"' not in page.text
    assert "批量扣款文件" not in client.get(f"/console/batches/{run_id}", headers=office).text


def test_unknown_and_malformed_runs(client: TestClient, runtime: Runtime) -> None:
    viewer = staff_headers(client, runtime, role="viewer")
    missing = client.get(f"{API}/{uuid.uuid4()}", headers=viewer)
    assert (missing.status_code, missing.json()["error"]["message"]) == (404, "未找到该批扣记录")
    assert client.get(f"{API}/{uuid.uuid4()}/report.csv", headers=viewer).status_code == 404
    assert client.get(f"{API}/nope", headers=viewer).status_code == 422
    assert client.get(f"/console/batches/{uuid.uuid4()}", headers=viewer).status_code == 404
    assert client.get(API, params={"date": "2025-02-30"}, headers=viewer).status_code == 422
    assert client.get(API).status_code == 401


def test_a_run_is_started_on_the_worker_and_refused_while_one_holds_the_lock(
    client: TestClient, runtime: Runtime, world, ids
) -> None:  # type: ignore[no-untyped-def]
    two_settings(client, world, ids)
    viewer = staff_headers(client, runtime, role="viewer")
    operator = staff_headers(client, runtime, username="zhao.op")
    today = runtime.clock.today().isoformat()

    assert client.post(API, json={"date": today}, headers=viewer).status_code == 403
    future = client.post(API, json={"date": "2099-01-01"}, headers=operator)
    assert (future.status_code, future.json()["error"]["fields"]) == (
        422,
        {"date": "扣款日期不能晚于今天（北京时间）"},
    )
    assert client.post(API, json={"date": "2025-11-31"}, headers=operator).status_code == 422
    with run_lock(runtime):
        busy = client.post(API, json={"date": today}, headers=operator)
    assert (busy.status_code, busy.json()["error"]["message"]) == (
        409,
        "批量扣款正在进行，请待其结束后再发起",
    )
    with runtime.db.session() as s:
        assert s.scalars(select(DeductionRun)).all() == []

    started = client.post(API, json={"date": today}, headers=operator)
    assert (started.status_code, started.json()["status"]) == (202, "queued")
    # the tests' queue runs tasks at once: the run is done
    listed = client.get(API, headers=operator).json()["items"]
    assert [(r["run_date"], r["status"]) for r in listed] == [(today, "completed")]
    with runtime.db.session() as s:
        audit = s.scalars(select(AuditEntry).where(AuditEntry.action == "deduction_run.requested")).one()
        assert (audit.actor_id, audit.channel, audit.object_id) == ("zhao.op", "console", today)


def test_the_page_starts_a_run_and_says_a_wrong_date_beside_the_field(
    client: TestClient, runtime: Runtime
) -> None:
    operator = staff_headers(client, runtime)
    token = csrf(client)
    page = client.get("/console/batches", headers=operator)
    assert page.status_code == 200 and "尚无批扣记录" in page.text and "发起批扣" in page.text
    wrong = client.post(
        "/console/batches", data={"date": "11/21/2025", "csrf_token": token}, headers=operator
    )
    assert wrong.status_code == 422
    assert 'id="b-date-error">扣款日期格式应为 YYYY-MM-DD，如 2025-11-20</span>' in wrong.text
    today = runtime.clock.today().isoformat()
    done = client.post(
        "/console/batches",
        data={"date": today, "csrf_token": token},
        headers=operator,
        follow_redirects=False,
    )
    assert (done.status_code, done.headers["location"]) == (303, f"/console/batches?started={today}")
    shown = client.get(done.headers["location"], headers=operator).text
    assert f"已发起 {today} 的批量扣款，正在后台执行" in shown and "已完成" in shown
