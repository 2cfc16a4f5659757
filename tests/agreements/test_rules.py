"""The rules that need no database: effective dates, statuses as of a day, account formats."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from shebao.agreements.accounts import check_account, luhn_ok, normalise
from shebao.agreements.errors import AccountInvalid
from shebao.agreements.models import Agreement
from shebao.agreements.rules import effective_from, status_on, unusable_reason
from shebao.reference.catalog import load_catalog
from tests.support.agreements import card


@pytest.mark.parametrize(
    ("signed_at", "effective"),
    [
        ("2025-11-20T09:00:00+08:00", date(2025, 11, 21)),
        ("2025-11-20T23:59:59+08:00", date(2025, 11, 21)),
        ("2025-11-21T00:00:00+08:00", date(2025, 11, 22)),
        ("2025-11-20T16:30:00+00:00", date(2025, 11, 22)),  # 00:30 on the 21st in Shanghai
        ("2025-12-31T12:00:00+08:00", date(2026, 1, 1)),
    ],
)
def test_effective_the_next_day_in_shanghai(signed_at: str, effective: date) -> None:
    assert effective_from(datetime.fromisoformat(signed_at)) == effective


def _agreement(
    status: str, effective: date | None = date(2025, 11, 21), office: str = "11101020001"
) -> Agreement:
    return Agreement(status=status, effective_from=effective, tax_office_code=office)


def test_status_as_of_a_day() -> None:
    assert status_on(_agreement("pending"), date(2025, 11, 20)) == "pending"
    assert status_on(_agreement("pending"), date(2025, 11, 21)) == "active"
    assert status_on(_agreement("revoked"), date(2025, 11, 22)) == "revoked"
    assert status_on(_agreement("rejected", None), date(2025, 11, 22)) == "rejected"


def test_why_an_agreement_cannot_pay() -> None:
    day = date(2025, 11, 21)
    assert unusable_reason(_agreement("pending"), "11101020001", day) is None
    assert (
        unusable_reason(_agreement("pending"), "11101020001", date(2025, 11, 20))
        == "协议待生效，2025-11-21起可用"
    )
    assert unusable_reason(_agreement("revoked"), "11101020001", day) == "协议已撤销"
    assert unusable_reason(_agreement("rejected", None), "11101020001", day) == "签约失败的协议不能使用"
    assert (
        unusable_reason(_agreement("active"), "11101020000", day)
        == "协议的税务机关与申报的主管税务机关不一致"
    )


def test_luhn() -> None:
    assert luhn_ok("79927398713") and not luhn_ok("79927398710")
    assert luhn_ok("6222020000000000117") and not luhn_ok("6222020000000000118")


def test_account_formats_per_bank() -> None:
    catalog = load_catalog()
    icbc, cmb, psbc = catalog.bank("102"), catalog.bank("308"), catalog.bank("403")
    assert icbc is not None and cmb is not None and psbc is not None
    assert check_account(catalog, icbc, " 6222 0200 0000 0000 117 ") == "6222020000000000117"
    assert check_account(catalog, cmb, card("622588", 16)) == card("622588", 16)
    with pytest.raises(AccountInvalid, match="招商银行的银行账号应为16位数字"):
        check_account(catalog, cmb, card("622588", 19))
    with pytest.raises(AccountInvalid, match="中国邮政储蓄银行的银行账号应为19位数字"):
        check_account(catalog, psbc, card("621799", 16))
    with pytest.raises(AccountInvalid, match="只能由数字组成"):
        check_account(catalog, icbc, "６２２２０２００００００００００１１７")  # full-width digits
    assert normalise("6222 0200\t0000") == "622202000000"
