"""The packaged reference catalog: exact contents that pages, agreements and imports rely on."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from shebao.reference.catalog import (
    Agency,
    Bank,
    BankBranch,
    Catalog,
    Region,
    TaxOffice,
    load_catalog,
    validate,
)

DISTRICTS = {
    "110101": "东城区",
    "110102": "西城区",
    "110105": "朝阳区",
    "110106": "丰台区",
    "110107": "石景山区",
    "110108": "海淀区",
    "110109": "门头沟区",
    "110111": "房山区",
    "110112": "通州区",
    "110113": "顺义区",
    "110114": "昌平区",
    "110115": "大兴区",
    "110116": "怀柔区",
    "110117": "平谷区",
    "110118": "密云区",
    "110119": "延庆区",
}


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


class TestRegions:
    def test_sixteen_districts_with_gbt2260_codes(self, catalog: Catalog) -> None:
        districts = {r.code: r.name for r in catalog.regions if r.kind == "district"}
        assert districts == DISTRICTS
        assert all(r.official and r.parent_code is None for r in catalog.regions if r.kind == "district")

    def test_xicheng_is_110102(self, catalog: Catalog) -> None:
        assert catalog.region("110102") == Region(
            code="110102", name="西城区", kind="district", parent_code=None, official=True
        )

    def test_dev_area_is_a_management_area_under_daxing(self, catalog: Catalog) -> None:
        areas = [r for r in catalog.regions if r.kind == "management_area"]
        assert len(catalog.regions) == 17
        assert [a.name for a in areas] == ["北京经济技术开发区"]
        dev = areas[0]
        assert dev.code == "110115-BDA"
        assert not (len(dev.code) == 6 and dev.code.isdigit())
        assert dev.parent_code == "110115"
        assert dev.official is False
        assert dev.note is not None
        assert "GB/T 2260" in dev.note


class TestTaxOffices:
    def test_shichahai_office_under_xicheng_bureau(self, catalog: Catalog) -> None:
        bureau = catalog.tax_office("11101020000")
        office = catalog.tax_office("11101020001")
        assert bureau is not None
        assert office is not None
        assert bureau.name == bureau.full_name == "国家税务总局北京市西城区税务局"
        assert bureau.level == "bureau"
        assert bureau.parent_code is None
        assert office.name == "什刹海税务所"
        assert office.full_name == "国家税务总局北京市西城区税务局 什刹海税务所"
        assert office.parent_code == "11101020000"
        assert office.region_code == "110102"
        assert office.level == "office"
        assert [o.name for o in catalog.offices_under("11101020000")] == [
            "什刹海税务所",
            "金融街税务所",
            "德胜税务所",
            "广安门外税务所",
        ]

    def test_every_region_has_one_bureau_with_at_least_two_offices(self, catalog: Catalog) -> None:
        for region in catalog.regions:
            bureaus = [t for t in catalog.tax_offices if t.level == "bureau" and t.region_code == region.code]
            assert len(bureaus) == 1, region.name
            assert 2 <= len(catalog.offices_under(bureaus[0].code)) <= 4, region.name

    def test_codes_follow_the_documented_scheme(self, catalog: Catalog) -> None:
        for t in catalog.tax_offices:
            region = catalog.region(t.region_code)
            assert region is not None
            district = region.parent_code or region.code
            block = "90" if region.kind == "management_area" else "00"
            tail = "00" if t.level == "bureau" else t.code[-2:]
            assert t.code == f"1{district}{block}{tail}"
            assert t.sample is True
        assert len({t.code for t in catalog.tax_offices}) == len(catalog.tax_offices) == 64

    def test_dev_area_bureau(self, catalog: Catalog) -> None:
        bureau = catalog.tax_office("11101159000")
        assert bureau is not None
        assert bureau.name == "国家税务总局北京经济技术开发区税务局"
        assert bureau.region_code == "110115-BDA"


class TestAgencies:
    def test_one_agency_per_region(self, catalog: Catalog) -> None:
        assert sorted(a.region_code for a in catalog.agencies) == sorted(r.code for r in catalog.regions)
        assert catalog.agency("SB110102") == Agency(
            code="SB110102", name="北京市西城区社会保险事业管理中心", region_code="110102", sample=True
        )
        assert catalog.agency("SB110115-BDA") is not None


class TestBanks:
    def test_major_banks_and_cnaps_classes(self, catalog: Catalog) -> None:
        assert {b.code: (b.cnaps_class, b.name) for b in catalog.banks} == {
            "102": ("102", "中国工商银行"),
            "103": ("103", "中国农业银行"),
            "104": ("104", "中国银行"),
            "105": ("105", "中国建设银行"),
            "301": ("301", "交通银行"),
            "308": ("308", "招商银行"),
            "313100000013": ("313", "北京银行"),
            "403": ("403", "中国邮政储蓄银行"),
        }
        icbc = catalog.bank("102")
        assert icbc is not None
        assert icbc.luhn
        assert "622202" in icbc.card_bins

    def test_every_bank_has_a_branch_in_every_region(self, catalog: Catalog) -> None:
        for bank in catalog.banks:
            for region in catalog.regions:
                assert catalog.branches_for(bank.code, region.code), (bank.name, region.name)

    def test_branch_codes_are_12_digits_with_the_bank_prefix(self, catalog: Catalog) -> None:
        for br in catalog.branches:
            bank = catalog.bank(br.bank_code)
            assert bank is not None
            assert len(br.code) == 12
            assert br.code.isdigit()
            # The bank code itself for the national banks; 北京银行's 313 class for 北京银行.
            assert br.code.startswith(bank.cnaps_class)
            assert br.code[3:7] == "1000"  # Beijing's CNAPS city code
            assert _luhn_ok(br.code)
            assert br.sample is True

    def test_xicheng_icbc_branches(self, catalog: Catalog) -> None:
        assert [b.name for b in catalog.branches_for("102", "110102")] == [
            "中国工商银行北京西单支行",
            "中国工商银行北京金融街支行",
        ]

    def test_unknown_codes_answer_none(self, catalog: Catalog) -> None:
        assert catalog.region("110100") is None
        assert catalog.tax_office("11101020099") is None
        assert catalog.bank("313") is None
        assert catalog.branches_for("999", "110102") == ()


def _good() -> dict[str, Any]:
    # One of each row, consistent; each test breaks one thing.
    region = Region(code="110102", name="西城区", kind="district", parent_code=None, official=True)
    bureau = TaxOffice("11101020000", "局", "局", None, "110102", "bureau", True)
    office = TaxOffice("11101020001", "所", "局 所", "11101020000", "110102", "office", True)
    bank = Bank("102", "102", "中国工商银行", "工商银行", (19,), True, ("622202",), False)
    branch = BankBranch("102100002017", "中国工商银行北京西单支行", "102", "110102", True)
    return {
        "regions": (region,),
        "tax_offices": (bureau, office),
        "agencies": (Agency("SB110102", "中心", "110102", True),),
        "banks": (bank,),
        "branches": (branch,),
    }


class TestValidate:
    def test_good_data_passes(self) -> None:
        validate(**_good())

    @pytest.mark.parametrize(
        ("table", "index", "changes", "message"),
        [
            ("tax_offices", 1, {"parent_code": "11101029999"}, "is not a bureau"),
            ("tax_offices", 1, {"code": "11101020000"}, "duplicate code '11101020000'"),
            ("tax_offices", 1, {"region_code": "110199"}, "unknown region_code '110199'"),
            ("tax_offices", 1, {"full_name": "所"}, "full_name must be"),
            ("agencies", 0, {"region_code": "110199"}, "unknown region_code '110199'"),
            ("branches", 0, {"bank_code": "999"}, "unknown bank_code '999'"),
            ("branches", 0, {"code": "10210000201"}, "must be 12 digits"),
            ("branches", 0, {"region_code": "110199"}, "unknown region_code '110199'"),
            ("regions", 0, {"code": "11A"}, "6-digit GB/T 2260 code"),
        ],
    )
    def test_broken_data_raises(self, table: str, index: int, changes: dict[str, str], message: str) -> None:
        data = _good()
        rows = list(data[table])
        rows[index] = dataclasses.replace(rows[index], **changes)
        data[table] = tuple(rows)
        with pytest.raises(ValueError, match=message):
            validate(**data)

    def test_management_area_with_a_6_digit_code_raises(self) -> None:
        data = _good()
        area = Region("110190", "开发区", "management_area", "110102", False)
        data["regions"] = (*data["regions"], area)
        with pytest.raises(ValueError, match="must not be 6 digits"):
            validate(**data)

    def test_missing_branch_in_a_region_raises(self) -> None:
        data = _good()
        data["regions"] = (*data["regions"], Region("110101", "东城区", "district", None, True))
        data["tax_offices"] = (
            *data["tax_offices"],
            TaxOffice("11101010000", "东局", "东局", None, "110101", "bureau", True),
        )
        with pytest.raises(ValueError, match=r"no branch for \(bank, region\) \[\('102', '110101'\)\]"):
            validate(**data)

    def test_catalog_refuses_bad_data(self) -> None:
        data = _good()
        data["agencies"] = (Agency("SB1", "中心", "nowhere", True),)
        with pytest.raises(ValueError, match="unknown region_code 'nowhere'"):
            Catalog(**data)
