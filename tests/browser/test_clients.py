"""The demo's 客户端 switch: each client's method set (the guide's), and an in-app payment paid through."""

from __future__ import annotations

import re

from tests.support.browser import declare_medical, log_in


def _methods(page) -> list[str]:  # type: ignore[no-untyped-def]
    names: list[str] = page.locator("#pay-form .method-heading, #pay-form label.row span").all_inner_texts()
    return names


def _switch(page, client: str) -> None:  # type: ignore[no-untyped-def]
    page.goto("/")
    page.get_by_role("link", name="切换客户端").click()
    page.get_by_role("link", name=re.compile(client)).click()
    assert f"客户端 {client}" in page.locator(".rehearsal").inner_text()


def test_alipay_mini_program_offers_its_two_methods_and_pays_in_app(
    page, shot, runtime, world, live_server
) -> None:  # type: ignore[no-untyped-def]
    _switch(page, "支付宝小程序")
    log_in(page, runtime, world.zhang, live_server)
    declare_medical(page)
    assert _methods(page) == ["协议支付", "支付宝"]
    shot("client-alipay-mp-choose")
    page.get_by_label("支付宝").check()
    page.get_by_role("button", name="确认缴费").click()
    # The simulated my.tradePay sheet, opened with the payer's sandbox Alipay user id.
    assert page.locator("h1").inner_text() == "支付宝收银台"
    page.get_by_role("button", name=re.compile("付款")).click()
    page.wait_for_selector("text=支付成功", timeout=15000)
    assert page.get_by_text("¥795.00").first.is_visible()
    shot("client-alipay-mp-paid")


def test_baidu_mini_program_offers_four_methods(page, runtime, world, live_server) -> None:  # type: ignore[no-untyped-def]
    _switch(page, "百度小程序")
    log_in(page, runtime, world.zhang, live_server)
    declare_medical(page)
    assert _methods(page) == ["微信支付", "支付宝", "银联支付", "协议支付"]


def test_wechat_mini_program_pays_in_app(page, shot, runtime, world, live_server) -> None:  # type: ignore[no-untyped-def]
    _switch(page, "微信小程序")
    log_in(page, runtime, world.zhang, live_server)
    declare_medical(page)
    assert _methods(page) == ["微信支付", "协议支付"]
    page.get_by_label("微信支付").check()
    page.get_by_role("button", name="确认缴费").click()
    page.get_by_role("button", name=re.compile("支付")).first.click()
    page.wait_for_selector("text=支付成功", timeout=15000)
    shot("client-wechat-mp-paid")
