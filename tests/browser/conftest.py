"""Browser tests: headless Debian Chromium driven by Playwright against a live uvicorn server.

Screenshots at a phone's viewport (390×844), and the console's at a desktop's (1280×800), are kept under
test-output/screenshots/
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from shebao.app import create_app
from shebao.runtime import Runtime
from tests.support.serving import free_port, served

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ZH = Path("/usr/lib/chromium/locales/zh-CN.pak")  # Debian's chromium-l10n
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
PHONE = {"width": 390, "height": 844}
CHINESE_LOCALE = {"LANGUAGE": "zh_CN", "LANG": "zh_CN.UTF-8"}

HERE = Path(__file__).resolve().parent


@pytest.hookimpl(tryfirst=True)  # before `-m` selects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test in this directory, and only those, is a browser test: `-m browser` selects exactly them
    and `-m "not browser"` the rest. Without Chromium they are skipped, saying why."""
    skip = None
    if not CHROMIUM.exists():
        skip = pytest.mark.skip(
            reason="Debian chromium is not installed (./dev test installs it when run as root)"
        )
    elif not CHROMIUM_ZH.exists():
        skip = pytest.mark.skip(
            reason="chromium-l10n is missing: date fields would read 11/20/2025 (./dev test installs it)"
        )
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.browser)
            if skip is not None:
                item.add_marker(skip)


@pytest.fixture
def live_server(runtime: Runtime) -> Iterator[str]:
    port = free_port()
    runtime.settings.base_url = f"http://127.0.0.1:{port}"
    # Adapters hold the previous server's URL (the PostgreSQL runtime is shared by every test).
    runtime.adapters.clear()
    with served(create_app(runtime=runtime), port) as base:
        yield base


@pytest.fixture(scope="session")
def browser():  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-quic",
                "--no-first-run",
                "--disable-component-update",
                "--disable-sync",
                "--lang=zh-CN",
            ],
            # Chromium on Linux takes its own locale from the environment, not from --lang nor the page:
            # without these (and the zh-CN resources of chromium-l10n) a date field reads 11/20/2025.
            env={**os.environ, **CHINESE_LOCALE},
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server: str):  # type: ignore[no-untyped-def]
    context = browser.new_context(
        viewport=PHONE,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        base_url=live_server,
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert errors == [], f"JavaScript errors: {errors}"


@pytest.fixture
def shot(page):  # type: ignore[no-untyped-def]
    def _shot(name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return _shot


DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture
def desk_page(browser, live_server: str):  # type: ignore[no-untyped-def]
    """The operators' console is desktop first: a 1280×800 window."""
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN", base_url=live_server)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert errors == [], f"JavaScript errors: {errors}"


@pytest.fixture
def desk_shot(desk_page):  # type: ignore[no-untyped-def]
    def _shot(name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        desk_page.screenshot(path=str(path), full_page=True)
        return path

    return _shot
