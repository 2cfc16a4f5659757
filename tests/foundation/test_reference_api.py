from __future__ import annotations


def test_regions_tax_offices_agencies_banks(client) -> None:  # type: ignore[no-untyped-def]
    regions = client.get("/api/v1/reference/regions").json()["items"]
    assert len(regions) == 17
    assert {
        "code": "110102",
        "name": "西城区",
        "kind": "district",
        "parent_code": None,
        "official": True,
    } in regions
    offices = client.get("/api/v1/reference/tax-offices").json()["items"]
    shichahai = next(o for o in offices if o["name"] == "什刹海税务所")
    assert shichahai["parent_code"] == "11101020000"
    assert any(o["code"] == "11101020000" and o["parent_code"] is None for o in offices)
    agencies = client.get("/api/v1/reference/agencies").json()["items"]
    assert len(agencies) == 17
    banks = {b["code"]: b["name"] for b in client.get("/api/v1/reference/banks").json()["items"]}
    assert banks["102"] == "中国工商银行"


def test_branches_filter_by_bank_and_region(client) -> None:  # type: ignore[no-untyped-def]
    items = client.get(
        "/api/v1/reference/bank-branches", params={"bank_code": "102", "region_code": "110102"}
    ).json()
    assert items["items"]
    assert all(b["bank_code"] == "102" and b["region_code"] == "110102" for b in items["items"])


def test_bad_reference_query_is_a_422_in_chinese(client) -> None:  # type: ignore[no-untyped-def]
    answer = client.get("/api/v1/reference/bank-branches", params={"bank_code": "'; drop table x; --"})
    assert answer.status_code == 422
    assert answer.json()["error"]["fields"] == {"bank_code": "开户银行不能超过16个字符"}
    assert answer.json()["error"]["message"] == "开户银行不能超过16个字符"
