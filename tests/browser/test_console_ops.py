"""The console's 对账, 批扣, 导入 and 政策参数 pages in Chromium at 1280×800: each visited, its main action
done (a difference resolved, a CSV uploaded), a wrong input said beside its field, axe-core finding no
serious or critical violation, a screenshot of each."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from shebao.deductions.run import run
from shebao.runtime import Runtime
from tests.support.browser import AXE, AXE_OPTIONS
from tests.support.console import log_in_page
from tests.support.deductions import agreements, create
from tests.support.enrolment import XIAO_MING, medical_row, write_csv
from tests.support.ops import add_issue
from tests.support.providers import routed_to


def _serious(page: Any) -> list[str]:
    results = AXE.run(page, options=AXE_OPTIONS).response
    return [
        f"{v['id']} ({v['impact']}): {[str(n['target']) for n in v['nodes'][:3]]}"
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_the_operations_pages(
    desk_page, desk_shot, runtime: Runtime, world, client, app, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    page = desk_page
    add_issue(runtime, out_trade_no="2025112012345678")
    add_issue(runtime, out_trade_no="2025112087654321", kind="amount_mismatch")
    with routed_to(app):
        ids = agreements(client, runtime, world)
        create(client, world.zhang_headers, ids["zhang"], payer_id=world.li_family_id, valid_to=2025)
        create(
            client,
            world.zhang_headers,
            ids["zhang"],
            scheme="resident_medical",
            annual_amount_fen=None,
            valid_from=2026,
        )
        run(runtime, date(2025, 11, 21))
    log_in_page(page, runtime, role="admin", office=None, username="ops.admin")
    problems: dict[str, list[str]] = {}

    page.get_by_role("navigation", name="控制台导航").get_by_role("link", name="对账").click()
    assert page.locator("h1").inner_text() == "对账"
    assert page.get_by_role("row").filter(has_text="2025112012345678").is_visible()
    problems["reconciliation"] = _serious(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    desk_shot("console-reconciliation")
    row = page.get_by_role("row").filter(has_text="2025112087654321")
    row.get_by_role("button", name="处理").click()
    assert page.get_by_text("请填写处理说明").is_visible()
    problems["reconciliation-error"] = _serious(page)
    desk_shot("console-reconciliation-reason-missing")
    row = page.get_by_role("row").filter(has_text="2025112087654321")
    row.get_by_label("处理说明").fill("已与支付宝核实：渠道金额为准，差额退回缴费人")
    row.get_by_role("button", name="处理").click()
    assert page.get_by_text("已处理该对账差异").is_visible()
    assert page.get_by_role("row").filter(has_text="2025112087654321").count() == 0  # 待核对 only
    page.get_by_label("状态").select_option("resolved")
    page.get_by_role("button", name="查询").click()
    assert page.get_by_text("已与支付宝核实：渠道金额为准，差额退回缴费人").is_visible()
    page.get_by_label("对账日期").fill("2025-11-21")
    page.get_by_role("button", name="开始对账").click()
    assert page.locator("#r-date-error").inner_text() == "只能对已结束的日期对账（北京时间今天之前）"
    desk_shot("console-reconciliation-date-error")

    page.get_by_role("navigation", name="控制台导航").get_by_role("link", name="批扣").click()
    assert page.locator("h1").inner_text() == "批扣"
    assert page.get_by_text("2 / 2").is_visible()
    problems["batches"] = _serious(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    desk_shot("console-batches")
    page.get_by_role("link", name="查看报告").click()
    assert page.get_by_role("heading", name="扣款日期 2025-11-21 的报告").is_visible()
    assert page.get_by_role("cell", name="¥3,795.00").first.is_visible()
    assert page.get_by_role("heading", name="批量扣款文件").is_visible()
    problems["batch"] = _serious(page)
    desk_shot("console-batch-report")

    page.get_by_role("navigation", name="控制台导航").get_by_role("link", name="导入").click()
    assert page.get_by_text("尚无导入记录").is_visible()
    file = write_csv(tmp_path / "agency-1121.csv", [medical_row(), medical_row(XIAO_MING, "kindergarten")])
    page.get_by_label("CSV 文件").set_input_files(str(file))
    page.get_by_role("button", name="上传并导入").click()
    assert page.get_by_text("导入完成：共读取 2 行，拒绝 1 行。").is_visible()
    assert page.get_by_text("人员类别（category）不正确：kindergarten").is_visible()
    problems["import"] = _serious(page)
    desk_shot("console-import-report")
    page.get_by_role("link", name="‹ 返回导入记录").click()
    assert page.get_by_role("cell", name="agency-1121.csv").is_visible()
    problems["imports"] = _serious(page)
    desk_shot("console-imports")

    page.get_by_role("navigation", name="控制台导航").get_by_role("link", name="政策参数").click()
    assert page.get_by_role("heading", name="城乡居民养老保险 缴费档次（每年）").is_visible()
    problems["policies"] = _serious(page)
    desk_shot("console-policies")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    assert problems == dict.fromkeys(problems, [])
