from __future__ import annotations

import re

from tests.support.browser import declare_medical, log_in


def test_citizen_pays_by_alipay_for_oneself(page, shot, runtime, world, live_server) -> None:  # type: ignore[no-untyped-def]
    log_in(page, runtime, world.zhang, live_server)
    declare_medical(page)
    assert page.get_by_label("支付宝").is_checked()
    shot("pay-choose")
    page.get_by_role("button", name="确认缴费").click()
    shot("pay-alipay-cashier")
    page.get_by_role("button", name=re.compile("付款")).click()
    page.wait_for_selector("text=支付成功", timeout=15000)
    assert page.get_by_text("¥795.00").first.is_visible()
    assert page.get_by_text(re.compile(r"^3110102\d{13}$")).is_visible()
    shot("pay-success")


def test_citizen_pays_a_family_members_fee(page, shot, runtime, world, live_server) -> None:  # type: ignore[no-untyped-def]
    log_in(page, runtime, world.zhang, live_server)
    declare_medical(page, "*四（父母）")
    page.get_by_role("button", name="确认缴费").click()
    page.get_by_role("button", name=re.compile("付款")).click()
    page.wait_for_selector("text=支付成功", timeout=15000)
    assert page.get_by_text("代他人缴费").is_visible()
    assert page.get_by_text("¥460.00").first.is_visible()
    shot("pay-success-family")


def test_cancel_at_the_cashier_shows_what_to_do(page, shot, runtime, world, live_server) -> None:  # type: ignore[no-untyped-def]
    log_in(page, runtime, world.zhang, live_server)
    declare_medical(page)
    page.get_by_role("button", name="确认缴费").click()
    page.get_by_role("button", name=re.compile("取消")).click()
    page.wait_for_selector("text=重新缴费", timeout=15000)
    shot("pay-cancelled")
