"""`/api/v1/console/dashboards/...` and `/console/dashboards` as operators see them: the JSON figures, the
CSV exports of the same items, other offices kept out, wrong ranges refused beside their field."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.support.console import add_operator, login, staff_headers
from tests.support.dashboards import DONGZHIMEN, SHISHAHAI

API = "/api/v1/console/dashboards"
FIGURES = [
    ("collections", {"by": "scheme"}),
    ("collections", {"by": "district"}),
    ("collections", {"by": "channel"}),
    ("collections", {"by": "method"}),
    ("payments-by-status", {}),
    ("batch-outcomes", {}),
]


def _csv(answer: Any) -> list[dict[str, str]]:
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    body = answer.content.decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(body[1:])))


def _as_csv(items: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [{k: "" if v is None else str(v) for k, v in item.items()} for item in items]


@pytest.mark.usefixtures("seeded")
def test_each_csv_export_equals_its_json(client: TestClient, runtime) -> None:  # type: ignore[no-untyped-def]
    headers = staff_headers(client, runtime, role="viewer", office=SHISHAHAI)
    for path, params in FIGURES:
        shown = client.get(f"{API}/{path}", params=params, headers=headers)
        assert shown.status_code == 200, shown.text
        figure = shown.json()
        assert (figure["start"], figure["end"], figure["tax_office"], figure["tax_office_name"]) == (
            "2025-10-23",
            "2025-11-21",
            SHISHAHAI,
            "什刹海税务所",
        )
        assert figure["items"], (path, params)
        exported = client.get(f"{API}/{path}.csv", params=params, headers=headers)
        assert _csv(exported) == _as_csv(figure["items"]), (path, params)
    disposition = client.get(f"{API}/batch-outcomes.csv", headers=headers).headers["content-disposition"]
    assert disposition == f'attachment; filename="batch-outcomes-{SHISHAHAI}-20251023-20251121.csv"'


@pytest.mark.usefixtures("seeded")
def test_the_figures_as_json(client: TestClient, runtime) -> None:  # type: ignore[no-untyped-def]
    headers = staff_headers(client, runtime, role="viewer", office=SHISHAHAI)
    outcomes = client.get(f"{API}/batch-outcomes", headers=headers).json()["items"]
    assert outcomes == [
        {"status": "failed", "label": "扣款失败", "reason": "余额不足", "count": 1, "amount_fen": 300_000},
        {"status": "failed", "label": "扣款失败", "reason": "协议已撤销", "count": 1, "amount_fen": 46_000},
        {"status": "succeeded", "label": "扣款成功", "reason": None, "count": 1, "amount_fen": 79_500},
    ]
    channel = client.get(
        f"{API}/collections",
        params={"by": "channel", "start": "2025-11-19", "end": "2025-11-21"},
        headers=headers,
    ).json()
    assert (channel["by"], channel["items"]) == (
        "channel",
        [
            {"day": "2025-11-19", "key": "h5", "label": "京通网页", "count": 1, "amount_fen": 123_456},
            {"day": "2025-11-20", "key": "h5", "label": "京通网页", "count": 1, "amount_fen": 50_001},
            {"day": "2025-11-21", "key": "batch", "label": "批量扣款", "count": 1, "amount_fen": 79_500},
        ],
    )


@pytest.mark.usefixtures("seeded")
def test_another_office_is_a_404_and_never_counted(client: TestClient, runtime) -> None:  # type: ignore[no-untyped-def]
    headers = staff_headers(client, runtime, role="admin", office=DONGZHIMEN)
    for path, params in FIGURES:
        for suffix in ("", ".csv"):
            refused = client.get(
                f"{API}/{path}{suffix}", params={**params, "tax_office": SHISHAHAI}, headers=headers
            )
            assert refused.status_code == 404, (path, suffix)
            assert refused.json()["error"]["message"] == "未找到该税务机关的统计"
    statuses = client.get(f"{API}/payments-by-status", headers=headers).json()
    assert (statuses["tax_office"], statuses["items"]) == (
        DONGZHIMEN,
        [
            {"status": "succeeded", "label": "支付成功", "count": 2, "amount_fen": 188_000},
            {"status": "unknown", "label": "缴费结果确认中", "count": 1, "amount_fen": 150_000},
        ],
    )
    assert client.get(f"{API}/batch-outcomes", headers=headers).json()["items"] == []


@pytest.mark.usefixtures("seeded")
def test_an_admin_of_all_offices_chooses_one_or_all(client: TestClient, runtime) -> None:  # type: ignore[no-untyped-def]
    headers = staff_headers(client, runtime, role="admin", office=None)
    every = client.get(f"{API}/payments-by-status", headers=headers).json()
    assert (every["tax_office"], every["tax_office_name"]) == (None, "全部税务机关")
    assert [(i["status"], i["count"]) for i in every["items"]] == [
        ("closed", 1),
        ("failed", 3),
        ("pending", 1),
        ("succeeded", 10),
        ("unknown", 1),
    ]
    one = client.get(f"{API}/payments-by-status", params={"tax_office": DONGZHIMEN}, headers=headers).json()
    assert [(i["status"], i["count"]) for i in one["items"]] == [("succeeded", 2), ("unknown", 1)]
    unknown = client.get(f"{API}/payments-by-status", params={"tax_office": "123"}, headers=headers)
    assert unknown.status_code == 422
    assert unknown.json()["error"]["fields"] == {"tax_office": "不存在"}


@pytest.mark.parametrize(
    ("params", "message", "fields"),
    [
        ({"start": "2025-13-01"}, "开始日期不是有效的日期，请检查月份和日", {"start": "不是有效的日期"}),
        (
            {"start": "2025-11-10", "end": "2025-11-01"},
            "开始日期不能晚于结束日期",
            {"start": "不能晚于结束日期"},
        ),
        (
            {"end": "tomorrow"},
            "结束日期格式不正确，请按 年-月-日 填写，如 2025-11-01",
            {"end": "格式应为 YYYY-MM-DD"},
        ),
    ],
)
def test_a_wrong_range_is_a_422_in_chinese(
    client: TestClient, runtime, world, params, message, fields
) -> None:  # type: ignore[no-untyped-def]
    headers = staff_headers(client, runtime, role="viewer", office=SHISHAHAI)
    for path in ("collections", "collections.csv"):
        refused = client.get(f"{API}/{path}", params={"by": "scheme", **params}, headers=headers)
        assert refused.status_code == 422
        assert refused.json()["error"] == {"code": "validation_failed", "message": message, "fields": fields}


def test_a_dimension_not_offered_is_a_422_and_no_login_a_401(client: TestClient, runtime, world) -> None:  # type: ignore[no-untyped-def]
    headers = staff_headers(client, runtime, role="viewer", office=SHISHAHAI)
    refused = client.get(f"{API}/collections", params={"by": "bank"}, headers=headers)
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "validation_failed"
    for path, params in FIGURES:
        assert client.get(f"{API}/{path}", params=params).status_code == 401
        assert client.get(f"{API}/{path}.csv", params=params).status_code == 401


# --- the page ------------------------------------------------------------------------------------------


@pytest.mark.usefixtures("seeded")
def test_the_page_shows_each_figure_beside_its_chart(client: TestClient, runtime) -> None:  # type: ignore[no-untyped-def]
    headers = staff_headers(client, runtime, role="viewer", office=SHISHAHAI)
    page = client.get("/console/dashboards", headers=headers)
    assert page.status_code == 200, page.text
    html = page.text
    for chart in ("scheme", "district", "channel", "method"):
        assert f'data-chart="collections-{chart}-data"' in html
    assert 'data-chart="payments-by-status-data"' in html and 'data-chart="batch-outcomes-data"' in html
    assert (
        '<th scope="row">2025-11-19</th><td>灵活就业人员</td>'
        '<td class="num">1</td><td class="num">1,234.56</td>' in html
    )
    assert (
        '<th scope="row">扣款失败</th><td>余额不足</td><td class="num">1</td><td class="num">3,000.00</td>'
        in html
    )
    assert (
        f'href="{API}/collections.csv?by=scheme&amp;start=2025-10-23&amp;end=2025-11-21&amp;tax_office={SHISHAHAI}"'
        in html
    )
    assert 'name="tax_office"' not in html  # an office operator has no office to choose
    assert '<script src="/static/vendor/echarts/echarts.common.min.js" defer></script>' in html
    assert client.get("/static/vendor/echarts/echarts.common.min.js").status_code == 200


def test_a_wrong_range_comes_back_beside_its_field(client: TestClient, runtime, world) -> None:  # type: ignore[no-untyped-def]
    headers = staff_headers(client, runtime, role="viewer", office=SHISHAHAI)
    page = client.get(
        "/console/dashboards", params={"start": "2025-11-30", "end": "2025-11-01"}, headers=headers
    )
    assert page.status_code == 422
    assert (
        '<span class="field-error" id="dash-start-error" role="alert">开始日期不能晚于结束日期</span>'
        in page.text
    )
    assert 'value="2025-11-30"' in page.text and 'value="2025-11-01"' in page.text
    assert "data-chart=" not in page.text


def test_an_admin_of_all_offices_chooses_one_on_the_page(client: TestClient, runtime, world) -> None:  # type: ignore[no-untyped-def]
    headers = staff_headers(client, runtime, role="admin", office=None)
    page = client.get("/console/dashboards", headers=headers)
    assert page.status_code == 200
    assert '<option value="">全部税务机关</option>' in page.text
    assert f'<option value="{DONGZHIMEN}">东直门税务所（{DONGZHIMEN}）</option>' in page.text
    assert page.text.count("所选日期内没有缴款成功的缴款") == 4  # nothing paid yet: no chart to draw
    assert "所选日期内没有发起的缴款" in page.text and "所选日期内没有批扣" in page.text
    chosen = client.get("/console/dashboards", params={"tax_office": DONGZHIMEN}, headers=headers)
    assert f'<option value="{DONGZHIMEN}" selected>' in chosen.text
    assert "东直门税务所 · 2025-10-22 至 2025-11-20" in chosen.text


def test_before_the_one_time_password_is_replaced_a_403_or_the_password_page(
    client: TestClient, runtime, world
) -> None:  # type: ignore[no-untyped-def]
    headers = login(client, add_operator(runtime, "new.viewer", role="viewer", office=SHISHAHAI))
    for path, params in FIGURES:
        assert client.get(f"{API}/{path}", params=params, headers=headers).status_code == 403
    page = client.get("/console/dashboards", headers=headers, follow_redirects=False)
    assert (page.status_code, page.headers["location"]) == (303, "/console/password")  # replace it first


def test_another_office_on_the_page_is_a_404(client: TestClient, runtime, world) -> None:  # type: ignore[no-untyped-def]
    headers = staff_headers(client, runtime, role="viewer", office=DONGZHIMEN)
    assert (
        client.get("/console/dashboards", params={"tax_office": SHISHAHAI}, headers=headers).status_code
        == 404
    )


def test_the_openapi_document_says_each_answer(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path, params in FIGURES:
        for suffix in ("", ".csv"):
            operation = paths[f"{API}/{path}{suffix}"]["get"]
            assert sorted(operation["responses"]) == ["200", "401", "403", "404", "422", "503"], path
            assert [p["name"] for p in operation["parameters"]] == [*params, "start", "end", "tax_office"]
    exported = paths[f"{API}/batch-outcomes.csv"]["get"]
    assert exported["summary"] == "批扣结果 CSV（列：status,label,reason,count,amount_fen）"
    assert list(exported["responses"]["200"]["content"]) == ["text/csv"]
