"""The operators' console in Chromium: login with password and TOTP, the first-login page (new password,
the TOTP QR code), the home page, 退出."""

from __future__ import annotations

from shebao.runtime import Runtime
from tests.support.browser import AXE, AXE_OPTIONS
from tests.support.console import NEW_PASSWORD, add_operator, log_in_page


def _axe(page) -> list[str]:  # type: ignore[no-untyped-def]
    """WCAG 2.1 AA violations of impact serious or critical on the page (none expected)."""
    results = AXE.run(page, options=AXE_OPTIONS).response
    return [
        f"{v['id']}: {[str(n['target']) for n in v['nodes'][:3]]}"
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_first_login_changes_the_password_and_reaches_home(desk_page, desk_shot, runtime: Runtime) -> None:  # type: ignore[no-untyped-def]
    page = desk_page
    who = add_operator(runtime, "wu.xia", role="approver")
    page.goto("/console")
    assert page.locator("h1").inner_text() == "税务所控制台登录"
    desk_shot("console-login")
    assert _axe(page) == []
    page.get_by_label("用户名").fill("wu.xia")
    page.get_by_label("密码").fill(who.password)
    page.get_by_label("动态口令").fill(who.code())
    page.get_by_role("button", name="登录").click()

    assert page.locator("h1").inner_text() == "首次登录：修改密码"
    assert page.locator(".qr svg").is_visible()
    assert len(page.locator("[data-field=totp-key]").inner_text().split()) == 8  # 32 characters in fours
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    desk_shot("console-first-login")
    assert _axe(page) == []
    page.get_by_label("新密码", exact=True).fill("too short")
    page.get_by_label("再次输入新密码").fill("too short")
    page.get_by_role("button", name="保存新密码").click()
    assert page.get_by_text("新密码至少12位").is_visible()
    page.get_by_label("新密码", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("再次输入新密码").fill(NEW_PASSWORD)
    page.get_by_role("button", name="保存新密码").click()

    assert page.locator("h1").inner_text() == "首页"
    assert page.locator(".who").inner_text() == "当前操作员 wu.xia · 审核员"
    assert page.get_by_role("navigation", name="控制台导航").get_by_role("link").all_inner_texts() == [
        "首页",
        "缴费人查询",
        "退费审核",
        "对账",
        "批扣",
        "导入",
        "政策参数",
        "统计",
        "审计日志",
    ]
    assert page.get_by_text("东直门税务所（11101010001）").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    desk_shot("console-home")
    assert _axe(page) == []
    page.get_by_role("button", name="退出").click()
    assert page.locator("h1").inner_text() == "税务所控制台登录"


def test_log_in_page_helper_reaches_home(desk_page, runtime: Runtime) -> None:  # type: ignore[no-untyped-def]
    log_in_page(desk_page, runtime, role="admin", office=None)
    assert desk_page.get_by_text("全部税务所").is_visible()
