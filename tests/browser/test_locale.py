"""Dates as the guide writes them: year, month, day. The browser runs in zh-CN (conftest), so a date field
reads 2025/11/20 and a month field 2025年11月, never 11/20/2025; what the server writes reads 2025-11-20."""

from __future__ import annotations

from typing import Any

from tests.support.browser import log_in


def _date_fields(page: Any) -> list[str]:
    """The parts of the page's date fields as the browser lays them out (its accessibility tree):
    their names in order, e.g. ["年", "月", "日", "年", "月", "日"]."""
    tree = page.context.new_cdp_session(page).send("Accessibility.getFullAXTree")
    return [
        node["name"]["value"].split()[0]
        for node in tree["nodes"]
        if node.get("role", {}).get("value") == "spinbutton" and not node.get("ignored")
    ]


def test_a_date_field_reads_year_month_day(page, shot, runtime, world, live_server) -> None:  # type: ignore[no-untyped-def]
    log_in(page, runtime, world.zhang, live_server)
    page.goto("/declarations")
    assert page.evaluate("[document.documentElement.lang, navigator.language]") == ["zh-CN", "zh-CN"]
    start = page.get_by_label("申报日期起")
    assert start.input_value() == "2025-01-01"
    assert _date_fields(page) == ["年", "月", "日", "年", "月", "日"]
    shot("locale-declarations-dates")
