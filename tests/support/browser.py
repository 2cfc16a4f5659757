"""Browser-test steps shared by the Playwright tests (tests/browser)."""

from __future__ import annotations

from datetime import timedelta

from axe_playwright_python.sync_playwright import Axe

from shebao.identity.deps import SESSION_COOKIE
from shebao.identity.sessions import open_session
from tests.support.people import transaction


def log_in(page, runtime, person, live_server: str) -> None:  # type: ignore[no-untyped-def]
    """A browser session opened directly (the login pages have their own browser test)."""
    with transaction(runtime) as s:
        _, token = open_session(
            s, person.id, kind="cookie", channel="h5", now=runtime.clock.now(), idle=timedelta(minutes=30)
        )
    page.context.add_cookies([{"name": SESSION_COOKIE, "value": token, "url": live_server}])


def declare_medical(page, payer_label: str | None = None) -> None:  # type: ignore[no-untyped-def]
    page.goto("/fees/medical")
    if payer_label:
        page.get_by_label("缴费对象").select_option(label=payer_label)
        page.wait_for_url("**payer_id=*")
    page.get_by_role("button", name="提交").click()
    page.get_by_role("button", name="确认提交").click()
    assert page.locator("h1").inner_text() == "选择支付方式"


AXE = Axe()
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


def pay_in_browser(page) -> None:  # type: ignore[no-untyped-def]
    page.get_by_role("button", name="确认缴费").click()
    page.get_by_role("button", name="付款 ¥", exact=False).click()
    page.wait_for_selector("text=支付成功", timeout=15000)
