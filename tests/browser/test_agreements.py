"""缴费协议 and 协议支付 in Chromium at 390×844: add, list, take effect, pay (self and family), revoke."""

from __future__ import annotations

import re
from datetime import timedelta

from tests.support.agreements import ZHANG_CARD
from tests.support.browser import declare_medical, log_in


def test_sign_pay_for_oneself_and_family_then_revoke(page, shot, runtime, world, live_server) -> None:  # type: ignore[no-untyped-def]
    opened = page.request.post(
        "/sandbox/bank/accounts",
        data={"bank_code": "102", "account_no": ZHANG_CARD, "holder_name": "张三", "balance_fen": 2_000_000},
    )
    assert opened.status == 201
    log_in(page, runtime, world.zhang, live_server)
    page.goto("/fees")
    page.get_by_role("link", name="缴费协议").click()
    assert page.get_by_text("暂无缴费协议").is_visible()
    shot("agreements-empty")

    page.get_by_role("link", name="新增协议").click()
    assert page.get_by_text("温馨提示：办理协议新增业务").is_visible()
    assert page.get_by_label("税务机关").input_value() == "11101020001"  # the payer's own, preselected
    page.get_by_label("开户银行").select_option(label="中国工商银行")
    page.get_by_label("银行行政区划").select_option(label="北京市西城区")
    branch = page.get_by_label("银行网点")
    page.locator("#a-branch option").nth(2).wait_for(state="attached")  # loaded in place
    branch.select_option(label="中国工商银行北京西单支行")
    page.get_by_label("持卡人姓名").fill("张三")
    page.get_by_label("银行账号").fill(ZHANG_CARD)
    page.get_by_text("是", exact=True).click()
    page.get_by_label("城乡居民养老保险").check()
    shot("agreement-new")
    page.get_by_role("button", name="提交").click()
    assert page.get_by_text("签订成功").is_visible()
    assert page.get_by_text("该协议将于次日（2025-11-21）生效").is_visible()
    assert page.get_by_text("622202*********0117").is_visible()
    shot("agreement-signed")

    page.goto("/agreements")
    assert page.get_by_text("待生效").is_visible()
    shot("agreements-list")

    # The next day (service clock) it is effective; the old session has idled out meanwhile.
    now = runtime.clock.now() + timedelta(days=1)
    assert page.request.post("/sandbox/clock", data={"now": now.isoformat()}).status == 200
    log_in(page, runtime, world.zhang, live_server)
    page.goto("/agreements")
    assert page.get_by_text("已生效").is_visible()

    declare_medical(page)
    choice = page.get_by_label(re.compile(r"中国工商银行 622202\*{9}0117"))
    assert choice.is_enabled()
    choice.check()
    shot("pay-agreement-choose")
    page.get_by_role("button", name="确认缴费").click()
    page.wait_for_selector("text=支付成功", timeout=15000)
    assert page.get_by_text("¥795.00").first.is_visible()
    assert page.get_by_text("协议支付").is_visible()
    assert page.get_by_text(re.compile(r"^3110102\d{13}$")).is_visible()
    shot("pay-agreement-success")

    declare_medical(page, "*四（父母）")
    page.get_by_label(re.compile(r"中国工商银行 622202\*{9}0117")).check()
    page.get_by_role("button", name="确认缴费").click()
    page.wait_for_selector("text=支付成功", timeout=15000)
    assert page.get_by_text("代他人缴费").is_visible() and page.get_by_text("¥460.00").first.is_visible()
    shot("pay-agreement-family")
    balance = page.request.get(f"/sandbox/bank/accounts/102/{ZHANG_CARD}").json()["balance_fen"]
    assert balance == 2_000_000 - 79500 - 46000

    page.goto("/agreements")
    page.get_by_role("link", name="撤销").click()
    assert page.get_by_text("确定撤销该协议吗？").is_visible()
    shot("agreement-revoke-confirm")
    page.get_by_role("button", name="确定撤销").click()
    assert page.get_by_text("撤销成功！").is_visible()
    shot("agreement-revoked")
    page.get_by_role("link", name="确定").click()
    assert page.get_by_text("已撤销").is_visible()
    assert page.get_by_role("link", name="撤销").count() == 0
    shot("agreements-after-revoke")


def test_agreements_that_cannot_pay_are_greyed_with_the_reason(
    page, shot, runtime, world, live_server
) -> None:  # type: ignore[no-untyped-def]
    page.request.post(
        "/sandbox/bank/accounts",
        data={"bank_code": "102", "account_no": ZHANG_CARD, "holder_name": "张三", "balance_fen": 100},
    )
    log_in(page, runtime, world.zhang, live_server)
    page.goto("/agreements/new")
    page.get_by_label("开户银行").select_option(label="中国工商银行")
    page.get_by_label("银行行政区划").select_option(label="北京市西城区")
    page.locator("#a-branch option").nth(2).wait_for(state="attached")
    page.get_by_label("银行网点").select_option(label="中国工商银行北京西单支行")
    page.get_by_label("持卡人姓名").fill("李四")
    page.get_by_label("银行账号").fill(ZHANG_CARD)
    page.get_by_role("button", name="提交").click()
    assert page.get_by_text("持卡人姓名与缴费人姓名不一致").is_visible()
    shot("agreement-holder-mismatch")
    page.get_by_label("持卡人姓名").fill("张三")
    page.get_by_role("button", name="提交").click()
    assert page.get_by_text("签订成功").is_visible()
    declare_medical(page)
    choice = page.get_by_label(re.compile(r"中国工商银行 622202\*{9}0117"))
    assert choice.is_disabled()
    assert page.get_by_text("协议待生效，2025-11-21起可用").is_visible()
    shot("pay-agreement-pending")


def test_elder_mode_asks_one_question_per_screen(page, shot, runtime, world, live_server) -> None:  # type: ignore[no-untyped-def]
    """长辈模式: the questions of 新增协议 one per screen (代扣险种 only after 是否银行代扣: 是), a refused
    answer reopened where it is wrong."""
    opened = page.request.post(
        "/sandbox/bank/accounts",
        data={"bank_code": "102", "account_no": ZHANG_CARD, "holder_name": "张三", "balance_fen": 2_000_000},
    )
    assert opened.status == 201
    page.context.add_cookies([{"name": "shebao_display", "value": "elder", "url": live_server}])
    log_in(page, runtime, world.zhang, live_server)
    page.goto("/agreements/new")
    count, forward = page.locator(".stepper-count"), page.get_by_role("button", name="下一步")
    back = page.get_by_role("button", name="上一步")
    submit = page.get_by_role("button", name="提交")
    assert count.inner_text() == "第1步，共8步"
    assert page.get_by_label("税务机关").is_visible() and not page.get_by_label("开户银行").is_visible()
    assert not back.is_visible() and not submit.is_visible()
    assert forward.bounding_box()["height"] >= 60  # type: ignore[index]
    shot("elder-agreement-step1")
    forward.click()
    assert count.inner_text() == "第2步，共8步" and page.get_by_label("社保经办机构").is_visible()
    assert not page.get_by_label("税务机关").is_visible()
    forward.click()
    page.get_by_label("开户银行").select_option(label="中国工商银行")
    forward.click()
    page.get_by_label("银行行政区划").select_option(label="北京市西城区")
    forward.click()
    page.locator("#a-branch option").nth(2).wait_for(state="attached")
    page.get_by_label("银行网点").select_option(label="中国工商银行北京西单支行")
    forward.click()
    page.get_by_label("持卡人姓名").fill("张三")
    forward.click()
    assert page.evaluate("document.activeElement.id") == "a-account"  # the question's field, ready to type
    page.get_by_label("银行账号").fill("12345")  # wrong: the server refuses it
    back.click()
    assert page.get_by_label("持卡人姓名").input_value() == "张三"
    forward.click()
    forward.click()
    assert count.inner_text() == "第8步，共8步" and submit.is_visible()
    page.get_by_text("是", exact=True).click()  # 银行代扣: one more question
    assert count.inner_text() == "第8步，共9步" and not submit.is_visible()
    forward.click()
    page.get_by_label("城乡居民养老保险").check()
    assert count.inner_text() == "第9步，共9步" and submit.is_visible() and not forward.is_visible()
    shot("elder-agreement-step9")
    submit.click()
    # Refused: the form comes back at the wrong answer, every other answer kept.
    assert page.locator(".stepper-count").inner_text() == "第7步，共9步"  # 代扣 kept: 是
    assert page.get_by_label("银行账号").is_visible() and page.locator("#a-account-error").is_visible()
    shot("elder-agreement-refused")
    page.get_by_label("银行账号").fill(ZHANG_CARD)
    page.get_by_role("button", name="下一步").click()
    page.get_by_role("button", name="下一步").click()
    page.get_by_role("button", name="提交").click()
    assert page.get_by_text("签订成功").is_visible()


def test_elder_mode_contribution_setting_in_steps(page, shot, runtime, world, live_server) -> None:  # type: ignore[no-untyped-def]
    """长辈模式 on 缴费金额设置 (1.7): 切换 stays with its question; refused, it reopens at 缴费协议."""
    page.context.add_cookies([{"name": "shebao_display", "value": "elder", "url": live_server}])
    log_in(page, runtime, world.zhang, live_server)
    page.goto("/contribution-settings/new")
    count, forward = page.locator(".stepper-count"), page.get_by_role("button", name="下一步")
    assert count.inner_text() == "第1步，共5步"
    assert page.get_by_role("button", name="切换").is_visible()  # belongs to 险种, not the last step
    assert not page.get_by_role("button", name="提交").is_visible()
    forward.click()
    page.get_by_text("3000元").click()
    for _ in range(3):
        forward.click()
    assert count.inner_text() == "第5步，共5步"
    assert page.get_by_text("您还没有可用的缴费协议").is_visible()
    page.get_by_role("button", name="提交").click()
    assert page.locator(".stepper-count").inner_text() == "第5步，共5步"  # reopened at what is missing
    assert page.locator("#agreement_id-error").inner_text() == "请选择缴费协议"
    shot("elder-setting-refused")
    page.get_by_role("button", name="上一步").click()
    page.get_by_role("button", name="上一步").click()
    page.get_by_role("button", name="上一步").click()
    assert page.get_by_label("3000元").is_checked()  # every answer kept
