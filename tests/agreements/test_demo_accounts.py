"""`shebao demo` opens the demo payers' own accounts at the sandbox bank, ready for 新增协议."""

from __future__ import annotations

from sqlalchemy import select

from shebao.cli import DEMO_CLOCK
from shebao.demo import load_demo
from shebao.identity.models import Person
from shebao.sandbox.bank.demo import ACCOUNTS
from tests.support.people import bearer_for


def test_demo_accounts_sign_and_are_printed(client, runtime, set_now, routed) -> None:  # type: ignore[no-untyped-def]
    set_now(DEMO_CLOCK)
    text = "\n".join(load_demo(runtime).lines)
    holder, bank_code, account_no, balance_fen = ACCOUNTS[0]
    assert f"    张建国  中国工商银行 {account_no}  余额 ¥20,000.00" in text
    assert "王芳  中国银行" in text and "余额 ¥100.00" in text
    read = client.get(f"/sandbox/bank/accounts/{bank_code}/{account_no}").json()
    assert (read["holder_name"], read["balance_fen"]) == (holder, balance_fen)
    with runtime.db.session() as s:
        zhang = s.scalars(select(Person)).all()
        payer = next(p for p in zhang if p.name == holder)
    body = {
        "tax_office_code": "11101020001",
        "agency_code": "SB110102",
        "bank_code": bank_code,
        "bank_region_code": "110102",
        "branch_code": "102100002017",
        "holder_name": holder,
        "account_no": account_no,
    }
    answer = client.post("/api/v1/agreements", json=body, headers=bearer_for(runtime, payer))
    assert answer.status_code == 201 and answer.json()["status"] == "pending", answer.text
