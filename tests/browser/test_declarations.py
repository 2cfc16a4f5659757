from __future__ import annotations

from tests.support.browser import log_in


def test_medical_for_oneself_and_a_family_member_then_void(page, shot, runtime, world, live_server) -> None:  # type: ignore[no-untyped-def]
    log_in(page, runtime, world.zhang, live_server)
    page.goto("/fees")
    page.get_by_role("link", name="城乡居民基本医疗保险缴费办理").click()
    assert page.get_by_text("¥795.00").first.is_visible()
    shot("medical-self")
    page.get_by_role("button", name="提交").click()
    assert page.locator("h1").inner_text() == "确认申报信息"
    shot("medical-confirm")
    page.get_by_role("button", name="确认提交").click()
    assert page.locator("h1").inner_text() == "选择支付方式"
    shot("medical-pay-placeholder")

    page.goto("/fees/medical")
    page.get_by_label("缴费对象").select_option(label="*四（父母）")
    page.wait_for_url("**payer_id=*")
    assert page.get_by_text("¥460.00").first.is_visible()
    shot("medical-family")
    page.get_by_role("button", name="提交").click()
    page.get_by_role("button", name="确认提交").click()

    page.goto("/declarations")
    cards = page.locator("section.card").filter(has_text="申报时间")
    assert cards.count() == 1  # 本人: his own only
    page.get_by_label("查询对象").select_option(label="全部（本人及家庭成员）")
    page.get_by_role("button", name="查询").click()
    page.wait_for_url("**payer_id=all*")
    assert cards.count() == 2
    assert page.get_by_text("代他人", exact=True).is_visible()
    shot("declarations-list")
    page.get_by_role("link", name="作废").first.click()
    assert page.get_by_text("确定作废该申报吗？").is_visible()
    shot("declarations-void-confirm")
    page.get_by_role("button", name="确定作废").click()
    assert page.get_by_text("作废成功").is_visible()
    assert page.get_by_text("已作废").first.is_visible()
    shot("declarations-after-void")


def test_pension_with_another_amount_and_its_records(page, shot, runtime, world, live_server) -> None:  # type: ignore[no-untyped-def]
    log_in(page, runtime, world.li, live_server)
    page.goto("/fees/pension")
    other = page.get_by_role("textbox", name="其他金额（元）")
    total = page.locator("[data-pension-total]")
    subsidy = page.locator("[data-pension-subsidy]").first
    assert (total.inner_text(), subsidy.inner_text()) == ("¥1,000.00", "¥60.00")  # the enrolled tier
    page.get_by_text("6000元").click()  # one choice at a time: the amount, subsidy and total follow it
    assert (total.inner_text(), subsidy.inner_text()) == ("¥6,000.00", "¥150.00")
    assert page.locator("[data-pension-amount]").first.inner_text() == "¥6,000.00"
    other.fill("2500")
    assert page.locator('input[name="amount"][value="other"]').is_checked()
    assert (total.inner_text(), subsidy.inner_text()) == ("¥2,500.00", "¥90.00")
    page.get_by_text("3000元").click()
    assert other.input_value() == ""
    other.fill("2500")
    shot("pension")
    page.get_by_role("button", name="提交").click()
    assert page.get_by_text("¥2,500.00").first.is_visible()
    page.get_by_role("button", name="确认提交").click()
    page.goto("/declarations/pension")
    assert page.get_by_role("link", name="继续缴费").is_visible()
    shot("pension-records")


def test_flexible_items_declare_and_void(page, shot, runtime, world, live_server) -> None:  # type: ignore[no-untyped-def]
    log_in(page, runtime, world.wang, live_server)
    page.goto("/fees/flexible")
    assert page.get_by_text("其中滞纳金").first.is_visible()
    shot("flexible")
    boxes = page.locator('input[name="payable_ids"]')
    assert boxes.count() == 3  # one per 费款所属期, folding its insurance types
    page.get_by_text("查看明细").first.click()
    assert page.get_by_text("基本医疗保险基金收入").first.is_visible()
    for index in range(1, 3):
        boxes.nth(index).uncheck()
    assert page.locator("[data-selected-total]").inner_text() == "¥2,727.00"  # follows the ticks
    page.get_by_role("button", name="缴款").click()
    assert page.get_by_text("¥2,727.00").first.is_visible()
    page.get_by_role("button", name="确认提交").click()
    page.goto("/fees/flexible")
    assert page.get_by_text("已申报待缴款").first.is_visible()
    shot("flexible-declared")
    page.get_by_role("link", name="作废申报").click()
    page.get_by_role("button", name="确定作废").click()
    assert page.get_by_text("已作废申报").is_visible()
