from __future__ import annotations

from tests.support.browser import declare_medical, log_in, pay_in_browser


def test_records_pages_for_oneself_and_a_family_member(page, shot, runtime, world, live_server) -> None:  # type: ignore[no-untyped-def]
    log_in(page, runtime, world.zhang, live_server)
    declare_medical(page)
    pay_in_browser(page)
    declare_medical(page, "*四（父母）")
    pay_in_browser(page)

    page.goto("/fees")
    page.get_by_role("link", name="城乡居民医疗缴费记录查询").click()
    cards = page.locator("section.card").filter(has_text="电子税票号码")
    assert cards.count() == 1  # 本人: his own only
    page.get_by_label("查询对象").select_option(label="全部（本人及家庭成员）")
    page.get_by_role("button", name="查询").click()
    page.wait_for_url("**payer_id=all*")
    assert cards.count() == 2  # his own and the one he paid for his mother
    page.get_by_text("更多相关操作").first.click()
    assert page.get_by_role("link", name="证明申请").first.is_visible()
    shot("records-medical")

    page.get_by_label("查询对象").select_option(label="*四（父母）")
    page.get_by_role("button", name="查询").click()
    assert page.locator("section.card").filter(has_text="电子税票号码").count() == 1
    assert page.get_by_text("代他人缴费").is_visible()
    shot("records-medical-family")

    page.goto("/records/pension")
    assert page.get_by_role("button", name="确定").is_visible()
    page.get_by_role("button", name="确定").click()
    assert page.get_by_text("暂无缴费记录").is_visible()
    shot("records-pension")
    page.goto("/records/flexible")
    assert page.get_by_text("暂无缴费记录").is_visible()
