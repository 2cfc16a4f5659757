"""Sandbox bank accounts of the demo payers, for 新增协议 and 协议支付 in `shebao demo`."""

from __future__ import annotations

from shebao.agreements.accounts import luhn_ok
from shebao.kit.money import format_yuan
from shebao.reference.catalog import load_catalog
from shebao.runtime import Runtime
from shebao.sandbox.bank.accounts import open_account


def _card(prefix: str, serial: int, length: int = 19) -> str:
    body = prefix + str(serial).zfill(length - len(prefix) - 1)
    return next(body + d for d in "0123456789" if luhn_ok(body + d))


# (holder, bank code, account number, balance in fen): the demo payers' own accounts.
ACCOUNTS: tuple[tuple[str, str, str, int], ...] = (
    ("张建国", "102", _card("622202", 880001), 2_000_000),
    ("李娜", "105", _card("621700", 880002), 5_000_000),
    ("张秀英", "103", _card("622848", 880003), 800_000),
    ("王芳", "104", _card("621661", 880004), 10_000),  # too little for her fees: 余额不足
)


def open_demo_accounts(runtime: Runtime) -> list[str]:
    """Open the accounts; answers the lines `shebao demo` prints."""
    catalog = load_catalog()
    lines = ["  沙箱银行账户（新增协议时填写本人账户；协议次日生效，可 POST /sandbox/clock 调到次日）："]
    with runtime.work().step() as step:
        session, now = step.session, step.now
        for holder, bank_code, account_no, balance_fen in ACCOUNTS:
            open_account(
                session,
                bank_code=bank_code,
                account_no=account_no,
                holder_name=holder,
                balance_fen=balance_fen,
                now=now,
            )
            bank = catalog.bank(bank_code)
            name = bank.name if bank else bank_code
            lines.append(f"    {holder}  {name} {account_no}  余额 {format_yuan(balance_fen)}")
    return lines
