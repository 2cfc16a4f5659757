"""The 缴费人查询 pages and the 审计日志 page, in a browser's terms (cookie, CSRF, forms)."""

from __future__ import annotations

import pytest

from tests.support.offices import HOME, OTHER, console_browser
from tests.support.people import ZHANG_SAN


@pytest.fixture
def csrf(client, runtime, world) -> str:  # type: ignore[no-untyped-def]
    return console_browser(client, runtime, role="operator", office=HOME, username="clerk")


def test_search_then_the_payers_page_masked(client, world, csrf) -> None:  # type: ignore[no-untyped-def]
    form = client.get("/console/payers")
    assert form.status_code == 200 and "证件号码" in form.text and "姓名（选填）" in form.text
    found = client.post(
        "/console/payers", data={"id_number": ZHANG_SAN[1], "csrf_token": csrf}, follow_redirects=False
    )
    assert (found.status_code, found.headers["location"]) == (303, f"/console/payers/{world.zhang.id}")
    page = client.get(found.headers["location"])
    assert page.status_code == 200
    for text in (
        "*三",
        "110101********1823",
        "138****5678",
        "城乡居民基本医疗保险",
        "劳动年龄内居民",
        "待申报",
        "查看完整信息",
    ):
        assert text in page.text, text
    assert ZHANG_SAN[1] not in page.text and "张三" not in page.text


def test_a_refused_search_stays_on_the_form_with_the_message_beside_the_field(client, world, csrf) -> None:  # type: ignore[no-untyped-def]
    missing = client.post("/console/payers", data={"id_number": "110101199001010011", "csrf_token": csrf})
    assert missing.status_code == 404
    assert 'id="id_number-error"' in missing.text and "未找到该缴费人" in missing.text
    assert 'value="110101199001010011"' in missing.text
    bad = client.post("/console/payers", data={"id_number": "12", "csrf_token": csrf})
    assert bad.status_code == 422 and "证件号码格式不正确" in bad.text


def test_reveal_shows_the_plain_data_once_with_a_reason(client, world, csrf) -> None:  # type: ignore[no-untyped-def]
    url = f"/console/payers/{world.zhang.id}/reveal"
    refused = client.post(url, data={"reason": " ", "csrf_token": csrf})
    assert (
        refused.status_code == 422
        and "请填写查看完整信息的原因" in refused.text
        and ZHANG_SAN[1] not in refused.text
    )
    shown = client.post(url, data={"reason": "来电核实", "csrf_token": csrf})
    assert shown.status_code == 200 and shown.headers["cache-control"] == "no-store"
    assert "张三" in shown.text and ZHANG_SAN[1] in shown.text and "13812345678" in shown.text
    assert "本次查看已记入审计日志" in shown.text
    again = client.get(f"/console/payers/{world.zhang.id}")
    assert ZHANG_SAN[1] not in again.text
    audit = client.get("/console/audit", params={"person_id": str(world.zhang.id)})
    assert audit.status_code == 200 and "来电核实" in audit.text
    assert '<td title="console.payer_reveal">查看明文</td>' in audit.text
    exported = client.get("/console/audit.csv", params={"action": "查看明文"})  # a label finds its code
    assert exported.status_code == 200 and exported.headers["content-type"] == "text/csv; charset=utf-8"
    lines = exported.text.lstrip("\ufeff").splitlines()
    assert (
        lines[0] == "时间,操作人类型,操作人,渠道,操作,操作代码,对象类型,对象类型代码,对象编号,变更前,变更后"
    )
    assert [line.split(",")[1:8] for line in lines[1:]] == [
        ["操作员", "clerk", "console", "查看明文", "console.payer_reveal", "缴费人", "person"]
    ]


def test_another_offices_operator_finds_nothing(client, runtime, world) -> None:  # type: ignore[no-untyped-def]
    csrf = console_browser(client, runtime, role="operator", office=OTHER, username="east")
    assert client.get(f"/console/payers/{world.zhang.id}").status_code == 404
    missing = client.post("/console/payers", data={"id_number": ZHANG_SAN[1], "csrf_token": csrf})
    assert missing.status_code == 404 and "未找到该缴费人" in missing.text
    audit = client.get("/console/audit")
    assert audit.status_code == 200 and str(world.zhang.id) not in audit.text


def test_the_audit_pages_filters_refuse_bad_dates_beside_the_field(client, world, csrf) -> None:  # type: ignore[no-untyped-def]
    bad = client.get("/console/audit", params={"from": "2025-02-30"})
    assert (
        bad.status_code == 422 and 'id="f-from-error"' in bad.text and "日期格式应为 YYYY-MM-DD" in bad.text
    )
    assert client.get("/console/audit", params={"cursor": "nonsense"}).status_code == 422
