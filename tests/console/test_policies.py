"""政策参数 in the console: every record of the packaged tables, with its source and verified flag."""

from __future__ import annotations

from fastapi.testclient import TestClient

from shebao.policy.tables import default_policy
from shebao.runtime import Runtime
from tests.support.console import staff_headers


def test_every_record_is_shown_with_its_source_and_flag(client: TestClient, runtime: Runtime) -> None:
    viewer = staff_headers(client, runtime, role="viewer")
    answer = client.get("/api/v1/console/policies", headers=viewer)
    assert answer.status_code == 200
    body = answer.json()
    tables = default_policy()
    assert body["region"] == "beijing"
    assert body["unverified"] == len(tables.unverified())
    records = [r for section in body["sections"] for r in section["records"]]
    assert len(records) == len(tables.figures())
    assert sorted((r["source"], r["verified"]) for r in records) == sorted(
        (f.source, f.verified) for f in tables.figures()
    )
    ranges = next(s for s in body["sections"] if s["kind"] == "pension_ranges")
    first = next(r for r in ranges["records"] if r["key"] == "2022")
    assert first["periods"] == "2022-01 至 2022-12"
    assert first["figures"][:2] == [
        {"label": "最低", "value": "¥1,000.00"},
        {"label": "最高", "value": "¥9,000.00"},
    ]
    late = next(s for s in body["sections"] if s["kind"] == "late_fee_rates")["records"]
    assert [(r["periods"], r["figures"]) for r in late] == [
        ("2011-07 至 长期有效", [{"label": "日滞纳金比例", "value": "0.05%"}])
    ]

    page = client.get("/console/policies", headers=viewer)
    assert page.status_code == 200
    for text in ("城乡居民养老保险 缴费档次（每年）", "¥9,000.00", "未核对", "已核对", "社会保险法"):
        assert text in page.text, text
    assert client.get("/api/v1/console/policies").status_code == 401
