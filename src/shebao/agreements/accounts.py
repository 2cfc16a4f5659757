"""Bank account numbers: the bank's format (digits, length, Luhn check digit, known card BINs)."""

from __future__ import annotations

from shebao.agreements.errors import AccountInvalid
from shebao.kit.crypto import blind_index
from shebao.reference.catalog import Bank, Catalog

INDEX_KIND = "bank_account"


def luhn_ok(number: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(number)):
        digit = int(char)
        if position % 2 == 1:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def normalise(raw: str) -> str:
    """Drop the spaces people type between groups (6228 0012 3456 1234)."""
    return "".join(raw.split())


def check_account(catalog: Catalog, bank: Bank, raw: str) -> str:
    """The account number, once it has the bank's format; raises AccountInvalid saying what is wrong."""
    number = normalise(raw)
    if not number:
        raise AccountInvalid("请输入银行账号")
    if not (number.isascii() and number.isdigit()):
        raise AccountInvalid("银行账号只能由数字组成")
    if len(number) not in bank.account_lengths:
        lengths = "或".join(str(n) for n in bank.account_lengths)
        raise AccountInvalid(f"{bank.name}的银行账号应为{lengths}位数字")
    if bank.luhn and not luhn_ok(number):
        raise AccountInvalid("银行账号有误，请核对后重新输入")
    for other in catalog.banks:
        if other.code != bank.code and any(number.startswith(b) for b in other.card_bins):
            raise AccountInvalid(f"该账号属于{other.name}，与所选开户银行不一致")
    return number


def account_index(bank_code: str, account_no: str) -> str:
    return blind_index(f"{bank_code}:{account_no}", kind=INDEX_KIND)
