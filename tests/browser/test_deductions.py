"""缴费金额设置 (1.7) and 缴费金额作废 (1.8) in Chromium at 390×844, for a family member, in both display
modes, with axe-core finding no serious or critical violation on any of their pages."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.support.agreements import ZHANG_CARD, agreement_body
from tests.support.browser import AXE, AXE_OPTIONS, log_in
from tests.support.people import bearer_for


def _serious(page: Any) -> list[str]:
    results = AXE.run(page, options=AXE_OPTIONS).response
    return [
        f"{v['id']} ({v['impact']}): {[str(n['target']) for n in v['nodes'][:3]]}"
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_set_then_void_for_a_family_member(page, shot, runtime, world, live_server) -> None:  # type: ignore[no-untyped-def]
    account = {"bank_code": "102", "account_no": ZHANG_CARD, "holder_name": "张三", "balance_fen": 2_000_000}
    assert page.request.post("/sandbox/bank/accounts", data=account).status == 201
    signed = page.request.post(
        "/api/v1/agreements", data=agreement_body(), headers=bearer_for(runtime, world.zhang)
    )
    assert signed.status == 201, signed.text()
    now = runtime.clock.now() + timedelta(days=1)
    assert page.request.post("/sandbox/clock", data={"now": now.isoformat()}).status == 200
    log_in(page, runtime, world.zhang, live_server)
    problems: dict[str, list[str]] = {}
    for elder in (False, True):
        mode = "elder" if elder else "standard"
        page.context.add_cookies(
            [{"name": "shebao_display", "value": "elder" if elder else "standard", "url": live_server}]
        )
        page.goto("/fees")
        page.get_by_role("link", name="缴费金额设置").click()
        page.get_by_label("缴费对象").select_option(index=1)  # 李四, the payer's mother
        page.wait_for_url("**payer_id=*")
        assert elder or page.get_by_text("暂无缴费金额设置").is_visible()  # the voided one shows later
        problems[f"list-{mode}"] = _serious(page)
        page.get_by_role("link", name="新增设置").click()
        assert page.get_by_text("温馨提示：缴费金额设置只支持城乡居民").is_visible()
        forward = page.get_by_role("button", name="下一步")
        if elder:  # one question per screen: 险种, 缴费金额, 有效期起, 有效期止, 缴费协议
            forward.click()
        page.get_by_text("3000元", exact=True).click()
        problems[f"new-{mode}"] = _serious(page)
        shot(f"contribution-setting-new-{mode}")
        if elder:
            for _ in range(3):
                forward.click()
        page.get_by_role("button", name="提交").click()
        assert page.get_by_text("设置成功！").is_visible()
        assert page.get_by_text("¥3,000.00/年").first.is_visible()
        shot(f"contribution-settings-{mode}")

        page.goto("/fees")
        page.get_by_role("link", name="缴费金额作废").click()
        page.get_by_label("缴费对象").select_option(index=1)
        page.wait_for_url("**payer_id=*")
        problems[f"void-list-{mode}"] = _serious(page)
        page.get_by_role("link", name="作废").click()
        assert page.get_by_text("确定作废该缴费金额设置吗？").is_visible()
        problems[f"void-dialog-{mode}"] = _serious(page)
        page.get_by_role("button", name="确定作废").click()
        assert page.get_by_text("作废成功！").is_visible()
        problems[f"voided-{mode}"] = _serious(page)
        shot(f"contribution-setting-voided-{mode}")
    assert {k: v for k, v in problems.items() if v} == {}
