from __future__ import annotations

import re

from tests.support.login import cookie_login
from tests.support.world import World, payable_ids


def test_medical_page_declares_after_confirmation(client, world: World, runtime) -> None:  # type: ignore[no-untyped-def]
    csrf = cookie_login(client, runtime, world.zhang)
    page = client.get("/fees/medical")
    assert page.status_code == 200
    for text in [
        "城乡居民基本医疗保险 2026年度",
        "2026-01 至 2026-12",
        "¥795.00",
        "待申报",
        "110101********1823",
        "国家税务总局北京市西城区税务局 什刹海税务所",
        "提交",
    ]:
        assert text in page.text, text
    ids = re.findall(r'name="payable_ids" value="([^"]+)"', page.text)
    confirm = client.post(
        "/declare/confirm",
        data={"csrf_token": csrf, "payable_ids": ids, "scheme": "resident_medical", "payer_id": ""},
    )
    assert confirm.status_code == 200
    assert "确认申报信息" in confirm.text and "合计：" in confirm.text and "¥795.00" in confirm.text
    assert payable_ids(client, world.zhang_headers, "resident_medical") == ids  # nothing declared yet
    done = client.post(
        "/declare",
        data={"csrf_token": csrf, "payable_ids": ids, "scheme": "resident_medical"},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"].startswith("/pay/")
    pay = client.get(done.headers["location"])
    assert "选择支付方式" in pay.text and "确认缴费" in pay.text and "支付宝" in pay.text
    assert "已申报待缴款" in client.get("/fees/medical").text


def test_medical_page_for_a_family_member(client, world: World, runtime) -> None:  # type: ignore[no-untyped-def]
    csrf = cookie_login(client, runtime, world.zhang)
    page = client.get("/fees/medical", params={"payer_id": world.li_family_id})
    assert "*四（父母）" in page.text and "370101********9973" in page.text and "¥460.00" in page.text
    ids = re.findall(r'name="payable_ids" value="([^"]+)"', page.text)
    done = client.post(
        "/declare",
        data={
            "csrf_token": csrf,
            "payable_ids": ids,
            "scheme": "resident_medical",
            "payer_id": world.li_family_id,
        },
        follow_redirects=False,
    )
    assert done.status_code == 303
    listing = client.get("/declarations", params={"payer_id": world.li_family_id}).text
    assert "代他人" in listing and "*四" in listing and "¥460.00" in listing


def _listed(page: str) -> set[str]:
    """The declarations a 已申报查询 page shows (their detail links)."""
    return set(re.findall(r'href="/declarations/([0-9a-f-]{36})"', page))


def test_declarations_query_for_oneself_shows_only_ones_own(client, world: World, runtime) -> None:  # type: ignore[no-untyped-def]
    own = client.post(
        "/api/v1/declarations",
        json={"payable_ids": payable_ids(client, world.zhang_headers, "resident_medical")},
        headers=world.zhang_headers,
    ).json()["id"]
    ids = payable_ids(client, world.zhang_headers, "resident_medical", payer_id=world.li_family_id)
    for_li = client.post(
        "/api/v1/declarations",
        json={"payable_ids": ids, "payer_id": world.li_family_id},
        headers=world.zhang_headers,
    ).json()["id"]
    cookie_login(client, runtime, world.zhang)
    page = client.get("/declarations")
    assert page.status_code == 200
    assert _listed(page.text) == {own}  # 本人: oneself only, not what was declared for Li
    assert 'value="all"' in page.text and "全部（本人及家庭成员）" in page.text
    assert _listed(client.get("/declarations", params={"payer_id": "all"}).text) == {own, for_li}
    assert _listed(client.get("/declarations", params={"payer_id": world.li_family_id}).text) == {for_li}
    # The API's list without payer_id keeps its contract: one's own and what one declared for others.
    listed = client.get("/api/v1/declarations", headers=world.zhang_headers).json()["items"]
    assert {d["id"] for d in listed} == {own, for_li}
    # Li's own 本人 holds Zhang's declaration for her; another payer's 全部 holds nothing of theirs.
    cookie_login(client, runtime, world.li)
    assert _listed(client.get("/declarations").text) == {for_li}
    cookie_login(client, runtime, world.wang)
    assert _listed(client.get("/declarations", params={"payer_id": "all"}).text) == set()
    assert client.get("/declarations", params={"payer_id": world.li_family_id}).status_code == 404


def test_pension_page_takes_a_common_or_other_amount(client, world: World, runtime) -> None:  # type: ignore[no-untyped-def]
    csrf = cookie_login(client, runtime, world.li)
    page = client.get("/fees/pension")
    assert "其他金额" in page.text and 'value="9000"' in page.text
    ids = re.findall(r'name="payable_ids" value="([^"]+)"', page.text)
    bad = client.post(
        "/declare/confirm",
        data={
            "csrf_token": csrf,
            "payable_ids": ids,
            "scheme": "resident_pension",
            "amount": "other",
            "other_amount": "12.5",
        },
    )
    assert bad.status_code == 422 and "整元金额" in bad.text
    low = client.post(
        "/declare/confirm",
        data={
            "csrf_token": csrf,
            "payable_ids": ids,
            "scheme": "resident_pension",
            "amount": "other",
            "other_amount": "999",
        },
    )
    assert low.status_code == 422 and "缴费金额须为1000至9000元之间的整元金额" in low.text
    ok = client.post(
        "/declare/confirm",
        data={
            "csrf_token": csrf,
            "payable_ids": ids,
            "scheme": "resident_pension",
            "amount": "other",
            "other_amount": "2500",
        },
    )
    assert ok.status_code == 200 and "¥2,500.00" in ok.text
    done = client.post(
        "/declare",
        data={"csrf_token": csrf, "payable_ids": ids, "scheme": "resident_pension", "amount": "3000"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    records = client.get("/declarations/pension").text
    assert "¥3,000.00" in records and "申报成功" in records and "继续缴费" in records and "作废" in records


def test_flexible_page_lists_items_with_late_fee_apart_and_voids(client, world: World, runtime) -> None:  # type: ignore[no-untyped-def]
    csrf = cookie_login(client, runtime, world.wang)
    page = client.get("/fees/flexible")
    for text in [
        "基本养老保险基金收入",
        "基本医疗保险基金收入",
        "2025-09",
        "北京市西城区社会保险事业管理中心",
        "其中滞纳金",
        "¥20.00",
        "待申报",
        "合计：",
    ]:
        assert text in page.text, text
    months = re.findall(r'name="payable_ids" value="([^"]+)"', page.text)
    assert len(months) == 3  # one card per 费款所属期 2025-09 … 2025-11, folding its two insurance types
    assert all(len(value.split(",")) == 2 for value in months)
    september = months[:1]
    done = client.post(
        "/declare",
        data={"csrf_token": csrf, "payable_ids": september, "scheme": "flexible_employment"},
        follow_redirects=False,
    )
    declaration_id = done.headers["location"].removeprefix("/pay/")
    page = client.get("/fees/flexible")
    assert "已申报待缴款" in page.text and "作废申报" in page.text
    # What was declared comes first, with its own 缴款; the bottom total says it covers 待申报 only.
    assert page.text.index("已申报待缴款（请先缴款）") < page.text.index("待申报（勾选要缴的月份）")
    assert f'href="/pay/{declaration_id}">缴款</a>' in page.text
    assert "待申报合计：" in page.text and "已申报待缴款请在上方各自缴款" in page.text
    assert len(re.findall(r'name="payable_ids" value="([^"]+)"', page.text)) == 2
    confirm = client.get(f"/declarations/{declaration_id}/void", params={"back": "/fees/flexible"})
    assert "确定作废该申报吗？" in confirm.text
    voided = client.post(
        f"/declarations/{declaration_id}/void", data={"csrf_token": csrf, "back": "/fees/flexible"}
    )
    assert "已作废申报" in voided.text and "已申报待缴款" not in voided.text


def test_declarations_page_filters_and_shows_the_detail(client, world: World, runtime) -> None:  # type: ignore[no-untyped-def]
    csrf = cookie_login(client, runtime, world.zhang)
    ids = payable_ids(client, world.zhang_headers, "resident_medical")
    declared = (
        client.post(
            "/declare",
            data={"csrf_token": csrf, "payable_ids": ids, "scheme": "resident_medical"},
            follow_redirects=False,
        )
        .headers["location"]
        .removeprefix("/pay/")
    )
    listing = client.get("/declarations")
    for text in [
        "温馨提示",
        "城乡居民基本医疗保险正常缴费",
        "*三",
        "110101********1823",
        "¥795.00",
        "2025-11-20 09:0",
        "申报成功",
        "作废",
    ]:
        assert text in listing.text, text
    assert (
        "暂无已申报信息"
        in client.get(
            "/declarations", params={"declared_from": "2025-11-21", "declared_to": "2025-11-30"}
        ).text
    )
    # A wrong range stays on the form, beside its fields, as typed, with no rows (not a separate page).
    bad = client.get("/declarations", params={"declared_from": "2025-12-01", "declared_to": "2025-11-01"})
    assert bad.status_code == 422
    assert bad.text.count("申报日期起不能晚于申报日期止，请重新选择") == 1  # said once, beside 申报日期起
    assert 'name="declared_from" value="2025-12-01"' in bad.text and 'value="2025-11-01"' in bad.text
    assert 'id="declared_from-error"' in bad.text
    assert "申报成功" not in bad.text and "返回首页" not in bad.text
    typo = client.get("/declarations", params={"declared_from": "2025-13-01"})
    assert typo.status_code == 422 and "申报日期起请按“年-月-日”填写，如 2025-11-20" in typo.text
    assert 'value="2025-13-01"' in typo.text and 'id="declared_from-error"' in typo.text
    detail = client.get(f"/declarations/{declared}")
    for text in ["明细数据", "险种", "城乡居民基本医疗保险", "2026-01 至 2026-12", "缴款期限", "2025-12-31"]:
        assert text in detail.text, text


def test_pages_refuse_bad_input_without_500(client, world: World, runtime) -> None:  # type: ignore[no-untyped-def]
    csrf = cookie_login(client, runtime, world.zhang)
    for data in [{}, {"payable_ids": ["garbage"]}, {"payable_ids": ["00000000-0000-7000-8000-000000000000"]}]:
        answer = client.post(
            "/declare/confirm", data={"csrf_token": csrf, "scheme": "resident_medical", **data}
        )
        assert 400 <= answer.status_code < 500, data
    member = client.get("/fees/medical", params={"payer_id": "someone"})
    assert member.status_code == 422 and "缴费对象（家庭成员编号）格式不正确" in member.text
    malformed = client.get("/declarations/not-an-id")
    assert malformed.status_code == 422 and "申报编号格式不正确" in malformed.text
    assert client.post("/declare", data={"payable_ids": []}).status_code == 403  # no CSRF token


def test_pension_refusals_stay_on_the_form_beside_the_field_keeping_the_choice(
    client, world: World, runtime
) -> None:  # type: ignore[no-untyped-def]
    csrf = cookie_login(client, runtime, world.li)
    page = client.get("/fees/pension").text
    ids = re.findall(r'name="payable_ids" value="([^"]+)"', page)
    # The enrolled tier is chosen, with its subsidy (POLICY.md: 1000–1999 → 60) and the bottom total.
    assert re.search(r'value="1000" data-tier-fen="100000" checked', page)
    assert re.search(r"data-pension-subsidy>¥60.00<", page)
    assert re.search(r"data-pension-total>¥1,000.00<", page)

    def post(**values: str):  # type: ignore[no-untyped-def]
        return client.post(
            "/declare/confirm",
            data={"csrf_token": csrf, "payable_ids": ids, "scheme": "resident_pension", **values},
        )

    both = post(amount="3000", other_amount="2500")
    assert both.status_code == 422
    assert '<h1 class="nav-title">城乡居民养老保险办理</h1>' in both.text  # the same form, not a 提示 page
    message = "已选择3000元档次，又填写了其他金额2500元，请只保留一种"
    assert both.text.count(message) == 1
    assert re.search(r'class="field-error" id="other_amount-error" role="alert">' + message, both.text)
    assert 'value="2500"' in both.text and re.search(
        r'value="3000" data-tier-fen="300000" checked', both.text
    )

    low = post(amount="other", other_amount="999")
    assert low.status_code == 422
    assert low.text.count("缴费金额须为1000至9000元之间的整元金额") == 1
    assert 'id="other_amount-error"' in low.text and 'value="999"' in low.text
    assert re.search(r'value="other" checked', low.text)

    chosen = post(amount="other", other_amount="4500")
    assert chosen.status_code == 200 and "¥4,500.00" in chosen.text and "¥120.00" in chosen.text  # subsidy
