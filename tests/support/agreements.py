"""Helpers for agreement tests: valid card numbers, sandbox bank accounts, signing, the day after."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from shebao.agreements.accounts import luhn_ok
from shebao.runtime import Runtime
from tests.support.payments import move_clock

XICHENG_OFFICE = "11101020001"  # 什刹海税务所: the world's payers' tax office
CHAOYANG_OFFICE = "11101050001"  # 望京税务所
ICBC, CCB = "102", "105"
ICBC_XICHENG_BRANCH = "102100002017"  # 中国工商银行北京西单支行


def card(prefix: str, length: int = 19, serial: int = 1) -> str:
    """A card number of `length` digits starting with `prefix`, with a valid Luhn check digit."""
    body = prefix + str(serial).zfill(length - len(prefix) - 1)
    return next(body + d for d in "0123456789" if luhn_ok(body + d))


ZHANG_CARD = card("622202", serial=11)  # 中国工商银行
ZHANG_OTHER_CARD = card("622202", serial=12)
LI_CARD = card("622202", serial=21)


def open_account(
    client: TestClient, account_no: str, holder: str, balance_fen: int = 1_000_000, **extra: Any
) -> dict[str, Any]:
    body = {"bank_code": ICBC, "account_no": account_no, "holder_name": holder, "balance_fen": balance_fen}
    answer = client.post("/sandbox/bank/accounts", json={**body, **extra})
    assert answer.status_code in (200, 201), answer.text
    opened: dict[str, Any] = answer.json()
    return opened


def agreement_body(account_no: str = ZHANG_CARD, holder: str = "张三", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "tax_office_code": XICHENG_OFFICE,
        "agency_code": "SB110102",
        "bank_code": ICBC,
        "bank_region_code": "110102",
        "branch_code": ICBC_XICHENG_BRANCH,
        "holder_name": holder,
        "account_no": account_no,
        "withhold": False,
        "withhold_schemes": [],
    }
    body.update(overrides)
    return body


def sign(client: TestClient, headers: dict[str, str], **overrides: Any):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/agreements", json=agreement_body(**overrides), headers=headers)


def signed(client: TestClient, headers: dict[str, str], **overrides: Any) -> dict[str, Any]:
    answer = sign(client, headers, **overrides)
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


def next_day(runtime: Runtime) -> None:
    """The service clock a day on: agreements signed today are effective."""
    move_clock(runtime, timedelta(days=1))


def bank_mode(client: TestClient, mode: str, reason: str | None = None) -> None:
    answer = client.post("/sandbox/bank/controls", json={"mode": mode, "reason": reason})
    assert answer.status_code == 200, answer.text


def balance(client: TestClient, account_no: str, bank_code: str = ICBC) -> int:
    found: int = client.get(f"/sandbox/bank/accounts/{bank_code}/{account_no}").json()["balance_fen"]
    return found


def ledger(client: TestClient, account_no: str, bank_code: str = ICBC) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = client.get(
        f"/sandbox/bank/accounts/{bank_code}/{account_no}/ledger"
    ).json()["items"]
    return items
