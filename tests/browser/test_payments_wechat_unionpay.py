from __future__ import annotations

import re

from tests.support.browser import declare_medical, log_in


def test_citizen_pays_by_wechat_pay_for_oneself(page, shot, runtime, world, live_server) -> None:  # type: ignore[no-untyped-def]
    log_in(page, runtime, world.zhang, live_server)
    declare_medical(page)
    page.get_by_label("微信支付").check()
    assert page.get_by_label("银联支付").is_visible()
    shot("pay-choose-wechat")
    page.get_by_role("button", name="确认缴费").click()
    page.wait_for_url("**/sandbox/wechat/checkmweb?**")
    assert page.locator("h1").inner_text() == "微信支付"
    assert page.get_by_text("¥795.00").first.is_visible()
    shot("pay-wechat-cashier")
    page.get_by_role("button", name=re.compile("确认支付")).click()
    page.wait_for_selector("text=支付成功", timeout=15000)
    assert page.get_by_text("¥795.00").first.is_visible()
    assert page.get_by_text(re.compile(r"^3110102\d{13}$")).is_visible()
    assert page.get_by_text("微信支付", exact=True).is_visible()
    shot("pay-wechat-success")


def test_citizen_pays_by_unionpay_for_oneself(page, shot, runtime, world, live_server) -> None:  # type: ignore[no-untyped-def]
    log_in(page, runtime, world.zhang, live_server)
    declare_medical(page)
    page.get_by_label("银联支付").check()
    shot("pay-choose-unionpay")
    page.get_by_role("button", name="确认缴费").click()
    # Our page posts the signed front form to the gateway by itself, landing on UnionPay's cashier.
    page.wait_for_url("**/sandbox/unionpay/cashier/**")
    assert page.locator("h1").inner_text() == "银联在线支付"
    assert page.get_by_text("¥795.00").first.is_visible()
    shot("pay-unionpay-cashier")
    page.get_by_role("button", name=re.compile("确认付款")).click()
    page.wait_for_selector("text=支付成功", timeout=15000)
    assert page.get_by_text(re.compile(r"^3110102\d{13}$")).is_visible()
    assert page.get_by_text("银联支付", exact=True).is_visible()
    shot("pay-unionpay-success")


def test_the_unionpay_front_page_works_without_javascript(browser, runtime, world, live_server) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, java_script_enabled=False, base_url=live_server
    )
    page = context.new_page()
    try:
        log_in(page, runtime, world.zhang, live_server)
        declare_medical(page)
        page.get_by_label("银联支付").check()
        page.get_by_role("button", name="确认缴费").click()
        page.wait_for_url("**/pay/unionpay/front?**")
        assert page.get_by_text("正在前往银联支付").is_visible()
        page.get_by_role("button", name="前往银联支付").click()
        page.wait_for_url("**/sandbox/unionpay/cashier/**")
        page.get_by_role("button", name=re.compile("确认付款")).click()
        page.wait_for_selector("text=支付成功", timeout=15000)  # the result page refreshes itself by meta tag
        assert page.get_by_text(re.compile(r"^3110102\d{13}$")).is_visible()
    finally:
        context.close()
