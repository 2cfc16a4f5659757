"""The simulated bank's business: verify and revoke agreements, deduct in real time, answer queries.

Each handler answers a result code (`codes`) and the answer body's other fields. A deduction message id
is acted on once: the ledger row of a message id that was seen answers every later copy of it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shebao.channels.bank import codes
from shebao.channels.bank.messages import Message
from shebao.kit.clock import to_shanghai
from shebao.kit.ids import random_digits
from shebao.sandbox.bank import accounts
from shebao.sandbox.bank.models import SandboxBankAccount, SandboxBankAgreement, SandboxBankEntry

Answer = dict[str, Any]


class Unreadable(ValueError):
    """A body without the fields its message type needs."""


def _text(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value or len(value) > 64:
        raise Unreadable(f"缺少或错误的字段：{name}")
    return value


def _answer(code: str, **fields: Any) -> Answer:
    return {"code": code, "message": codes.message(code), **fields}


def _holder_account(
    session: Session, body: dict[str, Any], *, for_update: bool = False
) -> tuple[SandboxBankAccount | None, str]:
    """The account the message names, and the code a debit from it would meet (SUCCESS if none)."""
    account = accounts.find(
        session, _text(body, "bank_code"), _text(body, "account_no"), for_update=for_update
    )
    if account is None:
        return None, codes.NO_ACCOUNT
    if account.holder_name != _text(body, "holder_name"):
        return account, codes.NAME_MISMATCH
    if account.status != "normal":
        return account, codes.ACCOUNT_BLOCKED
    return account, codes.SUCCESS


def _agreement(session: Session, agreement_no: str) -> SandboxBankAgreement | None:
    query = select(SandboxBankAgreement).where(SandboxBankAgreement.agreement_no == agreement_no)
    return session.scalars(query).first()


def verify(session: Session, message: Message, now: datetime) -> Answer:
    body = message.body
    agreement_no, tax_office = _text(body, "agreement_no"), _text(body, "tax_office_code")
    _text(body, "branch_code")
    account, code = _holder_account(session, body)
    if code != codes.SUCCESS or account is None:
        return _answer(code)
    existing = _agreement(session, agreement_no)
    if existing is not None and existing.account_id != account.id:
        return _answer(codes.REFUSED)  # the number is taken by another account
    if existing is None:
        session.add(
            SandboxBankAgreement(
                agreement_no=agreement_no,
                account_id=account.id,
                tax_office_code=tax_office,
                status="active",
                created_at=now,
            )
        )
    return _answer(codes.SUCCESS, agreement_no=agreement_no)


def revoke(session: Session, message: Message, now: datetime) -> Answer:
    found = _agreement(session, _text(message.body, "agreement_no"))
    if found is None:
        return _answer(codes.NO_AGREEMENT)
    if found.status != "revoked":
        found.status, found.revoked_at = "revoked", now
    return _answer(codes.SUCCESS)


def _entry_answer(entry: SandboxBankEntry) -> Answer:
    if entry.result_code != codes.SUCCESS:
        return {"code": entry.result_code, "message": entry.result_message}
    return _answer(
        codes.SUCCESS,
        amount_fen=entry.amount_fen,
        serial_no=entry.serial_no,
        settled_at=to_shanghai(entry.created_at).isoformat(timespec="seconds"),
    )


def _entry(session: Session, msg_id: str) -> SandboxBankEntry | None:
    return session.scalars(select(SandboxBankEntry).where(SandboxBankEntry.msg_id == msg_id)).first()


def deduct(session: Session, message: Message, now: datetime, *, refuse: str | None = None) -> Answer:
    body = message.body
    amount = body.get("amount_fen")
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise Unreadable("扣款金额应为正整数（分）")
    agreement_no = _text(body, "agreement_no")
    account, code = _holder_account(session, body, for_update=True)  # one deduction per account at a time
    seen = _entry(session, message.head.msg_id)
    if seen is not None:
        return _entry_answer(seen)
    agreement = _agreement(session, agreement_no)
    if refuse is not None:
        code = codes.REFUSED
    elif (
        agreement is None
        or agreement.status != "active"
        or account is None
        or agreement.account_id != account.id
    ):
        code = codes.NO_AGREEMENT if code != codes.NO_ACCOUNT else code
    elif code == codes.SUCCESS and account.balance_fen < amount:
        code = codes.INSUFFICIENT_BALANCE
    entry = SandboxBankEntry(
        msg_id=message.head.msg_id,
        account_id=account.id if account else None,
        agreement_no=agreement_no,
        amount_fen=amount,
        result_code=code,
        result_message=refuse or codes.message(code),
        created_at=now,
    )
    return _book(session, entry, account, -amount, "BK", now)


def _book(
    session: Session,
    entry: SandboxBankEntry,
    account: SandboxBankAccount | None,
    change: int,
    prefix: str,
    now: datetime,
) -> Answer:
    """The ledger's new entry; a successful one moves the account's balance by `change` and gets the
    bank's serial number (`prefix`: BK a deduction, RB a refund)."""
    if entry.result_code == codes.SUCCESS and account is not None:
        account.balance_fen += change
        account.updated_at = now
        entry.serial_no = prefix + to_shanghai(now).strftime("%Y%m%d") + random_digits(12)
        entry.balance_after_fen = account.balance_fen
    session.add(entry)
    session.flush()
    return _entry_answer(entry)


def _refunded(session: Session, orig_msg_id: str) -> int:
    query = select(func.coalesce(func.sum(SandboxBankEntry.amount_fen), 0)).where(
        SandboxBankEntry.refund_of == orig_msg_id, SandboxBankEntry.result_code == codes.SUCCESS
    )
    return int(session.scalar(query) or 0)


def refund(session: Session, message: Message, now: datetime) -> Answer:
    """Money back into the account a deduction took it from: never more than it took over all its
    refunds; the refund's message id (the merchant's refund serial) is acted on once."""
    body = message.body
    amount = body.get("amount_fen")
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise Unreadable("退款金额应为正整数（分）")
    orig = _text(body, "orig_msg_id")
    original = _entry(session, orig)
    account = (
        session.get(SandboxBankAccount, original.account_id, with_for_update=True)  # one change at a time
        if original is not None and original.account_id is not None
        else None
    )
    seen = _entry(session, message.head.msg_id)
    if seen is not None:
        return _entry_answer(seen)
    if original is None or original.result_code != codes.SUCCESS or original.refund_of or account is None:
        code = codes.NOT_FOUND
    elif _refunded(session, orig) + amount > original.amount_fen:
        code = codes.REFUND_EXCEEDS
    else:
        code = codes.SUCCESS
    entry = SandboxBankEntry(
        msg_id=message.head.msg_id,
        account_id=account.id if account else None,
        agreement_no=original.agreement_no if original else "",
        amount_fen=amount,
        result_code=code,
        result_message=codes.message(code),
        created_at=now,
        refund_of=orig,
    )
    return _book(session, entry, account, amount, "RB", now)


def query(session: Session, message: Message, now: datetime) -> Answer:
    orig = _text(message.body, "orig_msg_id")
    entry = _entry(session, orig)
    if entry is None:
        return _answer(codes.NOT_FOUND, orig_msg_id=orig)
    result = _entry_answer(entry)
    return _answer(
        codes.SUCCESS,
        orig_msg_id=orig,
        result_code=result.pop("code"),
        result_message=result.pop("message"),
        **result,
    )
