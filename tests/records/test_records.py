from __future__ import annotations

from typing import Any

import pytest

from tests.support.login import cookie_login
from tests.support.payments import paid_by_alipay


def _records(client, headers, **params: str) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    answer = client.get("/api/v1/payment-records", params=params, headers=headers)
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


def test_a_paid_fee_is_a_record_with_everything_the_guide_shows(client, world, routed) -> None:  # type: ignore[no-untyped-def]
    paid = paid_by_alipay(client, world.zhang_headers)
    [record] = _records(client, world.zhang_headers)
    assert {
        k: record[k]
        for k in (
            "id",
            "scheme",
            "scheme_label",
            "period_start",
            "period_end",
            "amount_fen",
            "channel",
            "channel_label",
            "method",
            "method_label",
            "paid_by",
            "for_other",
            "duplicate",
        )
    } == {
        "id": paid["id"],
        "scheme": "resident_medical",
        "scheme_label": "城乡居民基本医疗保险",
        "period_start": "2026-01",
        "period_end": "2026-12",
        "amount_fen": 79500,
        "channel": "h5",
        "channel_label": "京通网页",
        "method": "alipay",
        "method_label": "支付宝",
        "paid_by": "*三",
        "for_other": False,
        "duplicate": False,
    }
    assert record["eticket_no"].startswith("3110102") and record["paid_at"].startswith("2025-11-20T09:0")
    assert record["items"] == [
        {
            "levy_item": "城乡居民基本医疗保险费",
            "period_start": "2026-01",
            "period_end": "2026-12",
            "amount_fen": 79500,
            "late_fee_fen": 0,
        }
    ]


@pytest.mark.parametrize(
    ("params", "count"),
    [
        ({}, 1),
        ({"period_from": "2026-12"}, 1),
        ({"period_to": "2026-01"}, 1),
        ({"period_from": "2027-01"}, 0),
        ({"period_to": "2025-12"}, 0),
        ({"scheme": "resident_medical"}, 1),
        ({"scheme": "resident_pension"}, 0),
    ],
)
def test_period_filters_at_their_edges(client, world, routed, params, count) -> None:  # type: ignore[no-untyped-def]
    paid_by_alipay(client, world.zhang_headers)
    assert len(_records(client, world.zhang_headers, **params)) == count


def test_bad_filters_are_422(client, world) -> None:  # type: ignore[no-untyped-def]
    for params in [
        {"period_from": "2025-13"},
        {"scheme": "x"},
        {"period_from": "2026-02", "period_to": "2026-01"},
    ]:
        answer = client.get("/api/v1/payment-records", params=params, headers=world.zhang_headers)
        assert answer.status_code == 422, params


def test_another_payers_records_show_nothing(client, world, routed) -> None:  # type: ignore[no-untyped-def]
    paid_by_alipay(client, world.zhang_headers)
    assert _records(client, world.wang_headers) == []
    answer = client.get(
        "/api/v1/payment-records", params={"payer_id": world.li_family_id}, headers=world.wang_headers
    )
    assert answer.status_code == 404


def test_a_members_records_without_consent_only_show_what_the_payer_paid(client, world, routed) -> None:  # type: ignore[no-untyped-def]
    own = paid_by_alipay(client, world.li_headers, "resident_pension")  # Li pays her own pension
    for_her = paid_by_alipay(
        client, world.zhang_headers, payer_id=world.li_family_id
    )  # Zhang pays Li's medical
    seen = _records(client, world.zhang_headers, payer_id=world.li_family_id)
    assert [r["id"] for r in seen] == [for_her["id"]]
    assert seen[0]["for_other"] is True and seen[0]["insured"]["name"] == "*四"
    # Zhang's own list holds what he paid for others too.
    assert [r["id"] for r in _records(client, world.zhang_headers)] == [for_her["id"]]
    # Li sees both of her fees, whoever paid.
    assert {r["id"] for r in _records(client, world.li_headers)} == {own["id"], for_her["id"]}
    # With Li's consent, given from her own login, Zhang sees all of hers.
    assert client.post(f"/api/v1/consents/{world.li_family_id}", headers=world.li_headers).status_code == 200
    assert {r["id"] for r in _records(client, world.zhang_headers, payer_id=world.li_family_id)} == {
        own["id"],
        for_her["id"],
    }


def test_records_pages_for_each_scheme(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    paid_by_alipay(client, world.zhang_headers)
    cookie_login(client, runtime, world.zhang)
    page = client.get("/records/medical").text
    for text in [
        "城乡居民基本医疗保险",
        "¥795.00",
        "电子税票号码",
        "京通网页 · 支付宝",
        "更多相关操作",
        "证明申请",
        "2026-01 至 2026-12",
    ]:
        assert text in page, text
    assert (
        "暂无缴费记录"
        in client.get("/records/medical", params={"period_from": "2027-01", "period_to": "2027-12"}).text
    )
    assert "暂无缴费记录" in client.get("/records/flexible").text
    pension = client.get("/records/pension").text
    assert "费款所属期起" in pension and "* 查询对象" in pension and "确定" in pension
    assert client.get("/records/pension", params={"period_from": "2025-13"}).status_code == 422


def test_records_query_for_oneself_shows_only_ones_own(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    paid_by_alipay(client, world.zhang_headers)  # Zhang's own medical
    paid_by_alipay(client, world.zhang_headers, payer_id=world.li_family_id)  # and Li's, paid by Zhang
    zhang, li = "110101********1823", "370101********9973"  # 缴费对象 on each record
    cookie_login(client, runtime, world.zhang)
    own = client.get("/records/medical").text
    assert zhang in own and li not in own  # 本人: oneself only
    everyone = client.get("/records/medical", params={"payer_id": "all"}).text
    assert zhang in everyone and li in everyone
    member = client.get("/records/medical", params={"payer_id": world.li_family_id}).text
    assert li in member and zhang not in member
    # 城乡居民养老保险已缴费查询 with 全部 names nobody in its 姓名 rows; with 本人, the payer.
    assert "姓名" not in client.get("/records/pension", params={"payer_id": "all"}).text
    assert zhang in client.get("/records/pension").text


def test_a_refused_query_stays_on_the_form_with_the_message_beside_the_field(client, world, runtime) -> None:  # type: ignore[no-untyped-def]
    from tests.support.login import cookie_login

    cookie_login(client, runtime, world.zhang)
    answer = client.get("/records/medical", params={"period_from": "2026-02", "period_to": "2026-01"})
    assert answer.status_code == 422
    assert '<h1 class="nav-title">城乡居民医疗缴费记录查询</h1>' in answer.text
    message = "费款所属期起不能晚于费款所属期止，请重新选择"
    assert answer.text.count(message) == 1
    assert f'id="period_from-error" role="alert">{message}</span>' in answer.text
    assert 'value="2026-02"' in answer.text and 'value="2026-01"' in answer.text  # kept as typed
    assert 'aria-invalid="true" aria-describedby="period_from-error"' in answer.text
    both = client.get("/records/flexible", params={"period_from": "2026-13", "period_to": "abc"}).text
    assert "费款所属期起请按年-月填写，如 2025-01" in both and "费款所属期止请按年-月填写，如 2025-01" in both
    assert "有2项需要修改" in both


def test_pension_records_of_another_person_typed_in(client, world, runtime) -> None:  # type: ignore[no-untyped-def]
    """1.6 查询对象「他人」: 姓名, 证件类型, 证件号码 typed in add the person as a family member."""
    import re

    from tests.support.login import cookie_login
    from tests.support.people import WANG_WU

    csrf = cookie_login(client, runtime, world.zhang)
    page = client.get("/records/pension", params={"payer_id": "other"})
    assert page.status_code == 200 and 'action="/records/pension/other"' in page.text
    assert 'id="o-name"' in page.text and 'id="o-number"' in page.text

    wrong = client.post(
        "/records/pension/other",
        data={"csrf_token": csrf, "name": "王六", "id_type": "resident_id", "id_number": WANG_WU[1]},
    )
    assert wrong.status_code == 422 and wrong.text.count("姓名与证件号码不一致") == 1
    assert f'value="{WANG_WU[1]}"' in wrong.text and 'value="王六"' in wrong.text  # kept as typed

    added = client.post(
        "/records/pension/other",
        data={"csrf_token": csrf, "name": WANG_WU[0], "id_type": "resident_id", "id_number": WANG_WU[1]},
        follow_redirects=False,
    )
    assert added.status_code == 303
    family_id = re.search(r"payer_id=([0-9a-f-]+)", added.headers["location"]).group(1)  # type: ignore[union-attr]
    shown = client.get(added.headers["location"]).text
    assert "*五" in shown and f'value="{family_id}" selected' in shown
    assert "<strong>*五</strong>（其他）" in client.get("/family").text
    again = client.post(
        "/records/pension/other",
        data={"csrf_token": csrf, "name": WANG_WU[0], "id_type": "resident_id", "id_number": WANG_WU[1]},
    )
    assert again.status_code == 409 and "该人员已是您的家庭成员" in again.text
