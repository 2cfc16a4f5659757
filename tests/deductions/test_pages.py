"""The 1.7 缴费金额设置 and 1.8 缴费金额作废 pages without a browser: plain forms, no script."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from shebao.deductions.models import ContributionSetting
from tests.support.deductions import agreements, create
from tests.support.login import cookie_login


def _count(runtime) -> int:  # type: ignore[no-untyped-def]
    with runtime.db.session() as s:
        found: int = s.scalar(select(func.count()).select_from(ContributionSetting))
        return found


def _form(csrf: str, agreement_id: str, **overrides: str) -> dict[str, str]:
    data = {
        "csrf_token": csrf,
        "payer_id": "",
        "scheme": "resident_pension",
        "amount": "3000",
        "other_amount": "",
        "valid_from": "2025",
        "valid_to": "2026",
        "agreement_id": agreement_id,
        "step": "submit",
    }
    data.update(overrides)
    return data


def test_the_menu_links_both_pages(client, runtime, world) -> None:  # type: ignore[no-untyped-def]
    cookie_login(client, runtime, world.zhang)
    menu = client.get("/fees").text
    assert 'href="/contribution-settings"' in menu and 'href="/contribution-settings/void"' in menu


def test_set_for_a_family_member_then_void_with_a_dialog(client, runtime, world, routed) -> None:  # type: ignore[no-untyped-def]
    ids = agreements(client, runtime, world)
    csrf = cookie_login(client, runtime, world.zhang)
    empty = client.get("/contribution-settings", params={"payer_id": world.li_family_id})
    assert empty.status_code == 200 and "暂无缴费金额设置" in empty.text and "缴费对象" in empty.text
    form = client.get("/contribution-settings/new", params={"payer_id": world.li_family_id})
    assert form.status_code == 200
    for words in (
        "险种",
        "缴费金额",
        "其他金额",
        "有效期起",
        "有效期止",
        "缴费协议",
        "只支持城乡居民",
        "622202*********0117",
    ):
        assert words in form.text, words
    refused = client.post(
        "/contribution-settings/new",
        data=_form(csrf, ids["zhang"], payer_id=world.li_family_id, amount="other", other_amount="12000"),
    )
    assert refused.status_code == 422
    assert "2025年度缴费金额须为1000至9000元之间的整元金额" in refused.text
    assert 'value="12000"' in refused.text  # what was typed is kept
    done = client.post(
        "/contribution-settings/new",
        data=_form(csrf, ids["zhang"], payer_id=world.li_family_id, amount="other", other_amount="2500"),
        follow_redirects=False,
    )
    assert done.status_code == 303
    listed = client.get(done.headers["location"])
    assert "设置成功" in listed.text and "¥2,500.00/年" in listed.text and "2025年 至 2026年" in listed.text
    assert "最近一次扣款" in listed.text
    setting_id = re.search(
        r"/contribution-settings/([0-9a-f-]{36})/void",
        client.get("/contribution-settings/void", params={"payer_id": world.li_family_id}).text,
    )
    assert setting_id is not None
    dialog = client.get(f"/contribution-settings/{setting_id.group(1)}/void")
    assert "确定作废该缴费金额设置吗？" in dialog.text and "不再批量扣款" in dialog.text
    voided = client.post(
        f"/contribution-settings/{setting_id.group(1)}/void", data={"csrf_token": csrf}, follow_redirects=True
    )
    assert voided.status_code == 200 and "作废成功！" in voided.text
    after = client.get("/contribution-settings/void", params={"payer_id": world.li_family_id})
    assert "暂无可作废的缴费金额设置" in after.text


def test_medical_for_oneself_in_elder_mode(client, runtime, world, routed) -> None:  # type: ignore[no-untyped-def]
    ids = agreements(client, runtime, world)
    csrf = cookie_login(client, runtime, world.zhang)
    client.cookies.set("shebao_display", "elder")
    switched = client.post(
        "/contribution-settings/new", data=_form(csrf, ids["zhang"], scheme="resident_medical", step="scheme")
    )
    assert switched.status_code == 200 and "按政策标准" in switched.text and "elder" in switched.text
    done = client.post(
        "/contribution-settings/new",
        data=_form(csrf, ids["zhang"], scheme="resident_medical", valid_from="2026", valid_to="2026"),
        follow_redirects=True,
    )
    assert done.status_code == 200 and "¥795.00/年" in done.text and "城乡居民基本医疗保险" in done.text
    assert _count(runtime) == 1


def test_another_payers_setting_page_is_not_found(client, runtime, world, routed) -> None:  # type: ignore[no-untyped-def]
    ids = agreements(client, runtime, world)
    created = create(client, world.zhang_headers, ids["zhang"], payer_id=world.li_family_id)
    cookie_login(client, runtime, world.wang)
    assert client.get(f"/contribution-settings/{created['id']}/void").status_code == 404
