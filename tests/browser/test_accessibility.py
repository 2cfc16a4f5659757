"""WCAG 2.1 AA (axe-core) and 长辈模式 over every page reached from the home page.

The crawl follows the links of each page from 北京通, logged out and logged in, in the standard and the
elder display mode, runs axe-core on each page, measures 长辈模式's type and target sizes, and keeps a
390×844 screenshot of every page for people to look at.
"""

from __future__ import annotations

import os
import re
from collections import deque
from typing import Any

import pytest

from tests.support.browser import AXE, AXE_OPTIONS, log_in
from tests.support.people import ZHANG_SAN, enrol

SKIP = re.compile(r"^/(sandbox|api|docs|static|openapi|redoc|display)|/revoke$|/remove$")
MAX_PAGES = 40
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# One page per template: every 即将开放 page and every declaration are alike.
SHOTS = os.environ.get("SHEBAO_SCREENSHOTS") == "1"

# What 长辈模式 promises (UI.md): text ≥ 24 px, line height ≥ 1.3, controls and tabs ≥ 60 px tall.
MEASURE = """() => {
  const seen = [];
  const small = [], tight = [], low = [];
  const visible = (el) => { const r = el.getBoundingClientRect(); const s = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none'; };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode; const el = node.parentElement;
    if (!node.textContent.trim() || !el || !visible(el) || el.closest('[aria-hidden="true"]')) continue;
    const s = getComputedStyle(el); const size = parseFloat(s.fontSize);
    const line = s.lineHeight === 'normal' ? size * 1.2 : parseFloat(s.lineHeight);
    if (size < 24) small.push(el.tagName + ' ' + size + 'px: ' + node.textContent.trim().slice(0, 20));
    if (line / size < 1.3 && !el.closest('button, .btn, .tag, .tab, .choice, select, input'))
      tight.push(el.tagName + ' ' + (line / size).toFixed(2) + ': ' + node.textContent.trim().slice(0, 20));
  }
  const targets = 'button, .btn, input:not([type=hidden]):not([type=checkbox]):not([type=radio]), select,'
    + ' .tab, .choice, label.check-row, .display-switch';
  document.querySelectorAll(targets).forEach((el) => {
    if (!visible(el)) return;
    const h = el.getBoundingClientRect().height;
    if (h < 60) low.push(el.tagName + '.' + el.className + ' ' + Math.round(h) + 'px: '
      + (el.innerText || el.getAttribute('aria-label') || el.name || '').trim().slice(0, 20));
  });
  return {small: small.slice(0, 8), tight: tight.slice(0, 8), low: low.slice(0, 8)};
}"""


def _links(page: Any) -> list[str]:
    hrefs: list[str] = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
    return [
        h for h in hrefs if h.startswith("/") and not h.startswith("//") and not SKIP.search(h.split("?")[0])
    ]


def _crawl(page: Any, shot: Any, label: str, *, elder: bool) -> dict[str, list[str]]:
    """Visit every page reached by links from the home page; answers the problems found per page."""
    problems: dict[str, list[str]] = {}
    queue, seen = deque(["/"]), {"/"}
    visited = 0
    while queue and visited < MAX_PAGES:
        path = queue.popleft()
        response = page.goto(path)
        visited += 1
        assert response is not None and response.status < 500, path
        found: list[str] = []
        results = AXE.run(page, options=AXE_OPTIONS).response
        for violation in results["violations"]:
            if violation["impact"] in ("serious", "critical"):
                targets = [str(n["target"]) for n in violation["nodes"][:3]]
                found.append(f"axe {violation['id']} ({violation['impact']}): {targets}")
        if elder:
            measured = page.evaluate(MEASURE)
            found += [f"text under 24px: {m}" for m in measured["small"]]
            found += [f"line height under 1.3: {m}" for m in measured["tight"]]
            found += [f"target under 60px: {m}" for m in measured["low"]]
        if found:
            problems[path] = found
        if SHOTS:  # SHEBAO_SCREENSHOTS=1: every page at 390×844, for people to look at
            name = re.sub(r"[^a-z0-9]+", "-", UUID.sub("id", path.split("?")[0])).strip("-") or "home"
            shot(f"a11y-{label}-{'elder' if elder else 'standard'}-{name}")
        for href in _links(page):
            key = re.sub(r"^/soon/.*", "/soon", UUID.sub("{id}", href.split("?")[0]))
            if key not in seen:
                seen.add(key)
                queue.append(href)
    assert visited >= 5, f"the crawl reached only {visited} pages"
    return problems


@pytest.fixture
def declared(page, runtime, world, live_server):  # type: ignore[no-untyped-def]
    """张三 logged in, with flexible items too and one medical declaration waiting for payment."""
    enrol(
        runtime,
        name=ZHANG_SAN[0],
        id_number=ZHANG_SAN[1],
        scheme="flexible_employment",
        insurance_types="pension;medical",
        monthly_base_yuan="10000",
        period_start="2025-09",
    )
    log_in(page, runtime, world.zhang, live_server)
    page.goto("/fees/medical")
    page.get_by_role("button", name="提交").click()
    page.get_by_role("button", name="确认提交").click()
    assert page.locator("h1").inner_text() == "选择支付方式"
    return world


@pytest.mark.parametrize("elder", [False, True], ids=["standard", "elder"])
def test_every_page_logged_out_passes_axe(page, shot, live_server, elder: bool) -> None:  # type: ignore[no-untyped-def]
    if elder:
        page.context.add_cookies([{"name": "shebao_display", "value": "elder", "url": live_server}])
    assert _crawl(page, shot, "out", elder=elder) == {}


@pytest.mark.parametrize("elder", [False, True], ids=["standard", "elder"])
def test_every_page_logged_in_passes_axe(page, shot, live_server, declared, elder: bool) -> None:  # type: ignore[no-untyped-def]
    if elder:
        page.context.add_cookies([{"name": "shebao_display", "value": "elder", "url": live_server}])
    assert _crawl(page, shot, "in", elder=elder) == {}
