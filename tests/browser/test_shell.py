from __future__ import annotations

from shebao.web.menu import CERTIFICATE_FUNCTIONS, FEE_FUNCTIONS


def test_every_menu_entry_opens_at_phone_size(page, shot) -> None:  # type: ignore[no-untyped-def]
    page.goto("/")
    assert page.locator("h1").inner_text() == "北京通"
    shot("shell-home")
    page.get_by_role("link", name="社保费办理").click()
    assert page.locator("h1").inner_text() == "社保费办理"
    shot("shell-fee-menu")
    for function in FEE_FUNCTIONS:
        page.goto("/fees")
        page.get_by_role("link", name=function.title, exact=True).click()
        # Logged out, every fee function asks to log in first (and comes back afterwards).
        assert page.locator("h1").inner_text() == "登录"
        assert "系统异常" not in page.content()
    shot("shell-function")
    for function in CERTIFICATE_FUNCTIONS:
        page.goto("/certificates-menu")
        page.get_by_role("link", name=function.title, exact=True).click()
        expected = function.title if function.public else "登录"
        assert page.locator("h1").inner_text() == expected
    page.goto("/mine")
    assert page.get_by_role("link", name="请登录").is_visible()
    shot("shell-mine")


def test_nothing_is_wider_than_the_phone(page) -> None:  # type: ignore[no-untyped-def]
    for path in ["/", "/fees", "/mine", "/soon/medical", "/missing"]:
        page.goto(path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, path
