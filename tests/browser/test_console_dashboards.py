"""统计 (/console/dashboards) in Chromium at the console's 1280×800: every chart drawn by the vendored
ECharts under the unchanged Content-Security-Policy (no console error, no refusal), each beside its
table, and a wrong range said beside its field. Screenshots under test-output/screenshots/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support.browser import AXE, AXE_OPTIONS
from tests.support.console import log_in_page
from tests.support.dashboards import SHISHAHAI

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
CHARTS = [
    "collections-scheme",
    "collections-district",
    "collections-channel",
    "collections-method",
    "payments-by-status",
    "batch-outcomes",
]


@pytest.fixture
def desktop(desk_page, runtime, seeded):  # type: ignore[no-untyped-def]
    """A viewer of 什刹海税务所 logged in at the console's login page (password, TOTP, then the one-time
    password replaced), gone to 统计 by the console's menu."""
    page = desk_page
    problems: list[str] = []
    page.on("console", lambda msg: _console(problems, msg))
    page.problems = problems
    log_in_page(page, runtime, role="viewer", office=SHISHAHAI)
    assert page.locator("h1").inner_text() == "首页"
    return page


def _console(problems: list[str], msg: Any) -> None:
    if msg.type in ("error", "warning"):
        problems.append(f"console {msg.type}: {msg.text} at {msg.location.get('url')}")


def _serious(page: Any) -> list[str]:
    results = AXE.run(page, options=AXE_OPTIONS).response
    return [
        f"{v['id']} ({v['impact']}): {[str(n['target']) for n in v['nodes'][:3]]}"
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_the_charts_are_drawn_beside_their_tables(desktop) -> None:  # type: ignore[no-untyped-def]
    page = desktop
    with page.expect_response("**/console/dashboards") as shown:
        page.get_by_role("navigation", name="控制台导航").get_by_role("link", name="统计").click()
    answer = shown.value
    assert answer.status == 200
    csp = answer.headers["content-security-policy"]
    assert "script-src 'self';" in csp and "style-src 'self';" in csp  # unchanged: no inline script or style
    for chart in CHARTS:
        box = page.locator(f'[data-chart="{chart}-data"]')
        page.wait_for_selector(f'[data-chart="{chart}-data"][data-drawn="true"] canvas')
        size = box.locator("canvas").first.bounding_box()
        assert size is not None and size["width"] > 400 and size["height"] == 300, (chart, size)
    assert page.locator("table").count() == len(CHARTS)
    outcomes = page.locator("#batch-outcomes-data ~ .dash-table tbody tr")
    assert outcomes.all_inner_texts() == [
        "扣款失败\t余额不足\t1\t3,000.00",
        "扣款失败\t协议已撤销\t1\t460.00",
        "扣款成功\t\t1\t795.00",
    ]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "console-dashboards-1280.png"), full_page=False)
    page.screenshot(path=str(SCREENSHOTS / "console-dashboards-1280-full.png"), full_page=True)
    # A tooltip is drawn on the canvas (no HTML with style attributes the policy would refuse).
    page.locator('[data-chart="collections-scheme-data"] canvas').first.hover(position={"x": 300, "y": 200})
    page.wait_for_timeout(300)
    assert _serious(page) == []
    assert page.problems == []


def test_a_wrong_range_is_said_beside_its_field(desktop) -> None:  # type: ignore[no-untyped-def]
    page = desktop
    page.goto("/console/dashboards")
    page.get_by_label("开始日期").fill("2025-11-21")
    page.get_by_label("结束日期").fill("2025-11-01")
    page.get_by_role("button", name="查询").click()
    page.wait_for_url("**/console/dashboards?*")
    error = page.locator("#dash-start-error")
    assert error.inner_text() == "开始日期不能晚于结束日期"
    assert page.get_by_label("开始日期").get_attribute("aria-describedby") == "dash-start-error"
    assert page.locator("[data-chart]").count() == 0
    page.screenshot(path=str(SCREENSHOTS / "console-dashboards-refused-1280.png"))
    # the 422 itself is reported by Chromium as a failed resource load; anything else is a problem
    assert [p for p in page.problems if "422" not in p] == []
