"""The 缴费协议 pages without a browser: every step works with plain forms (no script)."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from shebao.agreements.models import Agreement
from tests.support.agreements import (
    CHAOYANG_OFFICE,
    ICBC,
    ICBC_XICHENG_BRANCH,
    XICHENG_OFFICE,
    ZHANG_CARD,
    ZHANG_OTHER_CARD,
    next_day,
    open_account,
    signed,
)
from tests.support.login import cookie_login
from tests.support.payments import declare
from tests.support.people import bearer_for


def _form(csrf: str, **overrides: str) -> dict[str, object]:
    data: dict[str, object] = {
        "csrf_token": csrf,
        "tax_office_code": XICHENG_OFFICE,
        "agency_code": "SB110102",
        "bank_code": ICBC,
        "bank_region_code": "110102",
        "branch_code": ICBC_XICHENG_BRANCH,
        "holder_name": "张三",
        "account_no": ZHANG_CARD,
        "withhold": "0",
        "step": "submit",
    }
    data.update(overrides)
    return data


def test_list_is_empty_then_the_form_has_the_guides_tips_and_defaults(client, world, runtime) -> None:  # type: ignore[no-untyped-def]
    cookie_login(client, runtime, world.zhang)
    empty = client.get("/agreements")
    assert (
        empty.status_code == 200 and "暂无缴费协议" in empty.text and 'href="/agreements/new"' in empty.text
    )
    form = client.get("/agreements/new")
    assert form.status_code == 200
    for words in (
        "温馨提示：办理协议新增业务，请填写本人的银行账号信息，以免扣款失效",
        "本功能签订协议仅限于缴费人本人账户，非本人账户请前往银行柜面签约",
        "税务机关名称必须和您申请缴费的税务机关名称一致",
        "持卡人姓名需要和缴费人姓名保证一致，否则会签约失败",
        "该协议将于次日生效",
        "社保经办机构",
        "银行行政区划",
        "银行网点",
        "是否银行代扣",
        "代扣险种",
    ):
        assert words in form.text, words
    # The payer's own tax office and agency come first (from the enrolment).
    assert f'value="{XICHENG_OFFICE}" selected' in form.text and 'value="SB110102" selected' in form.text
    assert "请先选择开户银行和行政区划" in form.text


def test_choosing_a_bank_and_district_reloads_the_branches_without_script(client, world, runtime) -> None:  # type: ignore[no-untyped-def]
    csrf = cookie_login(client, runtime, world.zhang)
    page = client.post(
        "/agreements/new",
        data={
            "csrf_token": csrf,
            "bank_code": ICBC,
            "bank_region_code": "110102",
            "account_no": "6222",
            "step": "branches",
        },
    )
    assert page.status_code == 200
    branches = re.findall(r"<option value=\"(102\d{9})\"", page.text)
    assert branches == ["102100002017", "102100002025"]
    assert "中国工商银行北京西单支行" in page.text and 'value="6222"' in page.text  # what was typed stays
    assert client.get("/agreements/new").text.count("中国工商银行北京西单支行") == 0
    with runtime.db.session() as s:
        assert s.scalar(select(func.count()).select_from(Agreement)) == 0


def test_a_holder_who_is_not_the_payer_is_refused_on_the_page(client, world, runtime) -> None:  # type: ignore[no-untyped-def]
    csrf = cookie_login(client, runtime, world.zhang)
    page = client.post("/agreements/new", data=_form(csrf, holder_name="李四"))
    assert page.status_code == 422
    assert "持卡人姓名与缴费人姓名不一致" in page.text and 'value="李四"' in page.text
    with runtime.db.session() as s:
        assert s.scalar(select(func.count()).select_from(Agreement)) == 0


def test_sign_list_and_revoke_on_the_pages(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    open_account(client, ZHANG_CARD, "张三")
    csrf = cookie_login(client, runtime, world.zhang)
    done = client.post(
        "/agreements/new",
        data=_form(csrf, withhold="1", withhold_schemes=["resident_pension"]),
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"].endswith("?signed=1")
    success = client.get(done.headers["location"])
    for words in (
        "签订成功",
        "该协议将于次日（2025-11-21）生效",
        "待生效",
        "622202*********0117",
        "*三",
        "城乡居民养老保险",
    ):
        assert words in success.text, words
    assert ZHANG_CARD not in success.text
    listed = client.get("/agreements")
    for words in (
        "缴费人姓名",
        "税务机关",
        "开户银行",
        "银行账号",
        "是否银行代扣",
        "代扣险种",
        "协议编号",
        "撤销",
        "是",
    ):
        assert words in listed.text, words
    agreement_id = done.headers["location"].split("/")[2].split("?")[0]
    confirm = client.get(f"/agreements/{agreement_id}/revoke")
    assert "确定撤销该协议吗？" in confirm.text and "撤销后该协议立即停止使用" in confirm.text
    revoked = client.post(
        f"/agreements/{agreement_id}/revoke", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert revoked.status_code == 303
    result = client.get(revoked.headers["location"])
    assert "撤销成功！" in result.text and "确定" in result.text
    assert "已撤销" in client.get("/agreements").text
    # A revoked agreement offers no 撤销, and asking again goes back to it.
    again = client.get(f"/agreements/{agreement_id}/revoke", follow_redirects=False)
    assert again.status_code == 303
    assert client.post(f"/agreements/{agreement_id}/revoke", data={"csrf_token": csrf}).status_code == 409


def test_a_bank_refusal_shows_why(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    open_account(client, ZHANG_CARD, "张叁")
    csrf = cookie_login(client, runtime, world.zhang)
    page = client.post("/agreements/new", data=_form(csrf))
    assert page.status_code == 200
    assert "签约失败" in page.text and "账号与户名不符" in page.text and "重新签订" in page.text


def test_another_payers_agreement_is_not_found(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    open_account(client, ZHANG_CARD, "张三")
    body = signed(client, world.zhang_headers)
    cookie_login(client, runtime, world.li)
    assert client.get(f"/agreements/{body['id']}").status_code == 404
    assert client.get(f"/agreements/{body['id']}/revoke").status_code == 404


def test_choose_lists_the_payers_agreements_greyed_with_reasons(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    open_account(client, ZHANG_CARD, "张三")
    open_account(client, ZHANG_OTHER_CARD, "张三")
    usable = signed(client, world.zhang_headers)
    elsewhere = signed(
        client, world.zhang_headers, account_no=ZHANG_OTHER_CARD, tax_office_code=CHAOYANG_OFFICE
    )
    next_day(runtime)
    headers = bearer_for(runtime, world.zhang)
    pending = signed(client, headers, account_no=ZHANG_OTHER_CARD)
    declared = declare(client, headers, payer_id=world.li_family_id)  # for a family member
    csrf = cookie_login(client, runtime, world.zhang)
    page = client.get(f"/pay/{declared['id']}")
    assert page.status_code == 200 and "协议支付" in page.text
    assert f'value="agreement:{usable["id"]}" checked' not in page.text  # 支付宝 comes first on h5
    assert f'value="agreement:{usable["id"]}" >' in page.text
    assert f'value="agreement:{elsewhere["id"]}" disabled' in page.text
    assert f'value="agreement:{pending["id"]}" disabled' in page.text
    assert (
        "协议的税务机关与申报的主管税务机关不一致" in page.text
        and "协议待生效，2025-11-22起可用" in page.text
    )
    paid = client.post(
        f"/pay/{declared['id']}",
        data={"csrf_token": csrf, "method": f"agreement:{usable['id']}"},
        follow_redirects=False,
    )
    assert paid.status_code == 303 and paid.headers["location"].endswith("/result")
    result = client.get(paid.headers["location"])
    assert "支付成功" in result.text and "协议支付" in result.text and "代他人缴费" in result.text
    refused = client.post(
        f"/pay/{declared['id']}", data={"csrf_token": csrf, "method": f"agreement:{pending['id']}"}
    )
    assert refused.status_code == 409 and "该申报已缴款" in refused.text


def test_choose_says_how_to_get_an_agreement(client, world, runtime) -> None:  # type: ignore[no-untyped-def]
    declared = declare(client, world.zhang_headers)
    cookie_login(client, runtime, world.zhang)
    page = client.get(f"/pay/{declared['id']}")
    assert "暂无缴费协议，可前往" in page.text and 'href="/agreements/new"' in page.text


def test_a_refused_deduction_says_why_on_the_result_page(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    open_account(client, ZHANG_CARD, "张三", balance_fen=100)
    agreement = signed(client, world.zhang_headers)
    next_day(runtime)
    declared = declare(client, bearer_for(runtime, world.zhang))
    csrf = cookie_login(client, runtime, world.zhang)
    paid = client.post(
        f"/pay/{declared['id']}", data={"csrf_token": csrf, "method": f"agreement:{agreement['id']}"}
    )
    assert paid.status_code == 200
    assert "支付失败" in paid.text and "余额不足。您可以重新选择支付方式缴款。" in paid.text
    assert "重新缴费" in paid.text


def test_in_the_alipay_mini_program_a_usable_agreement_is_the_first_choice(
    client, world, runtime, routed
) -> None:  # type: ignore[no-untyped-def]
    open_account(client, ZHANG_CARD, "张三")
    agreement = signed(client, world.zhang_headers)
    declared = declare(client, world.zhang_headers)
    cookie_login(client, runtime, world.zhang)
    mini = {"X-Shebao-Channel": "alipay_mp"}
    pending = client.get(f"/pay/{declared['id']}", headers=mini).text
    assert 'value="alipay" checked' in pending  # the only agreement is not effective yet
    next_day(runtime)
    cookie_login(client, runtime, world.zhang)
    effective = client.get(f"/pay/{declared['id']}", headers=mini).text
    assert f'value="agreement:{agreement["id"]}" checked' in effective
    assert 'value="alipay" checked' not in effective
