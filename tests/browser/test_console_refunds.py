"""退费 in the console, in Chromium at a desktop's 1280×800: an operator proposes, an approver approves, the
money goes back through the Alipay sandbox and the refund shows 已退款."""

from __future__ import annotations

from pathlib import Path

from shebao.console.deps import CONSOLE_COOKIE
from tests.support.console import staff_headers
from tests.support.refunds import duplicate_by_alipay, refund_of

DESKTOP = {"width": 1280, "height": 800}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"


def _desk(browser, live_server: str, headers: dict[str, str]):  # type: ignore[no-untyped-def]
    """A desktop browser logged in to the console with that operator's session."""
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN", base_url=live_server)
    token = headers["Authorization"].removeprefix("Bearer ")
    context.add_cookies([{"name": CONSOLE_COOKIE, "value": token, "url": live_server}])
    return context, context.new_page()


def test_propose_and_approve_a_refund_in_the_console(
    browser, live_server, client, runtime, world, routed
) -> None:  # type: ignore[no-untyped-def]
    late = duplicate_by_alipay(client, runtime, world.zhang_headers)
    refund = refund_of(runtime, late["id"])
    office = refund.tax_office_code
    maker = staff_headers(client, runtime, role="operator", office=office, username="jingban")
    checker = staff_headers(client, runtime, role="approver", office=office, username="shenhe")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    context, page = _desk(browser, live_server, maker)
    page.goto("/console/refunds?status=pending")
    row = page.locator("table.data tbody tr")
    assert row.count() == 1 and "¥795.00" in row.inner_text() and "待退款" in row.inner_text()
    page.screenshot(path=str(SCREENSHOTS / "console-refunds-list.png"))
    row.get_by_role("link", name="提出").click()
    page.get_by_role("button", name="提出退费").click()
    assert page.get_by_role("alert").first.inner_text() == "请填写退费原因"
    page.get_by_label("退费原因（必填）").fill("柜台已缴清，本笔为重复缴费，原路退回")
    page.get_by_role("button", name="提出退费").click()
    assert page.get_by_text("已提出，等待另一位审核员审核。").is_visible()
    assert page.get_by_role("button", name="审核通过，原路退回").count() == 0  # an operator cannot approve
    context.close()

    context, page = _desk(browser, live_server, checker)
    page.goto(f"/console/refunds/{refund.id}")
    assert page.get_by_text("经办员 jingban 提出退费 ¥795.00").is_visible()
    page.screenshot(path=str(SCREENSHOTS / "console-refund-approve.png"))
    page.get_by_role("button", name="审核通过，原路退回").click()
    assert page.get_by_text("已审核，退费已发送至原渠道。").is_visible()
    assert page.locator("h2 .badge").inner_text() == "已退款"
    page.screenshot(path=str(SCREENSHOTS / "console-refund-done.png"))
    context.close()

    ledger = client.get(f"/sandbox/alipay/trades/{late['out_trade_no']}/refunds").json()
    assert (ledger["refunded_fen"], len(ledger["items"])) == (79500, 1)
