"""缴费人查询 in Chromium at 1280×800: look-up by document number, the payer's record (masked), 查看完整信息
with a reason, and the reveal found in 审计日志."""

from __future__ import annotations

from tests.support.access import victim_objects
from tests.support.console import NEW_PASSWORD, add_operator
from tests.support.offices import HOME
from tests.support.people import ZHANG_SAN


def test_look_up_reveal_and_find_it_in_the_audit_log(
    desk_page, desk_shot, client, runtime, world, routed
) -> None:  # type: ignore[no-untyped-def]
    victim_objects(client, runtime, world)  # Zhang San has paid, holds certificates, an agreement, a setting
    page = desk_page
    who = add_operator(runtime, "zhao.min", role="operator", office=HOME)
    page.goto("/console/payers")
    page.get_by_label("用户名").fill("zhao.min")
    page.get_by_label("密码").fill(who.password)
    page.get_by_label("动态口令").fill(who.code())
    page.get_by_role("button", name="登录").click()
    page.get_by_label("新密码", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("再次输入新密码").fill(NEW_PASSWORD)
    page.get_by_role("button", name="保存新密码").click()

    page.get_by_role("navigation", name="控制台导航").get_by_role("link", name="缴费人查询").click()
    page.get_by_label("证件号码").fill("12")
    page.get_by_role("button", name="查询").click()
    assert page.locator("#id_number-error").inner_text() == "证件号码格式不正确：应为 5 至 18 位数字或字母"
    page.get_by_label("证件号码").fill(ZHANG_SAN[1])
    page.get_by_role("button", name="查询").click()

    assert page.locator("h1").inner_text() == "缴费人详情"
    assert page.locator("[data-field=name]").inner_text() == "*三"
    assert page.locator("[data-field=id_number]").inner_text() == "110101********1823"
    assert page.locator("#payments").inner_text() == "缴款（2）"
    assert page.locator("#etickets").inner_text() == "电子缴款凭证（2）"
    assert page.locator("#certificates").inner_text() == "缴费证明（2）"
    assert page.locator("section[aria-labelledby=payments]").get_by_text("支付成功").count() == 2
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    desk_shot("console-payer")

    page.get_by_text("查看完整信息").click()
    page.get_by_role("button", name="确认查看").click()
    assert page.locator("#reason-error").inner_text() == "请填写查看完整信息的原因"
    page.get_by_label("查看原因（必填，记入审计日志）").fill("缴费人来电，核实身份")
    page.get_by_role("button", name="确认查看").click()
    assert page.locator("[data-field=name]").inner_text() == "张三"
    assert page.locator("[data-field=id_number]").inner_text() == ZHANG_SAN[1]
    assert page.locator("[data-field=phone]").inner_text() == "13812345678"
    desk_shot("console-payer-revealed")

    page.get_by_role("link", name="在审计日志中查看全部").click()
    assert page.locator("h1").inner_text() == "审计日志"
    rows = page.locator("table.data tbody tr")
    assert rows.first.inner_text().split("\t")[1:4] == ["操作员 · zhao.min", "console", "查看明文"]
    assert "缴费人来电，核实身份" in rows.first.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    desk_shot("console-audit")
