"""The simulated bank's accounts and switches (what tests, rehearsals and the demo arrange)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from shebao.kit.crypto import blind_index
from shebao.sandbox.bank.models import SandboxBankAccount, SandboxBankControl, SandboxBankEntry

INDEX_KIND = "sandbox_bank_account"


def account_index(account_no: str) -> str:
    return blind_index(account_no, kind=INDEX_KIND)


def find(
    session: Session, bank_code: str, account_no: str, *, for_update: bool = False
) -> SandboxBankAccount | None:
    query = select(SandboxBankAccount).where(
        SandboxBankAccount.bank_code == bank_code,
        SandboxBankAccount.account_index == account_index(account_no),
    )
    return session.scalars(query.with_for_update() if for_update else query).first()


def open_account(
    session: Session,
    *,
    bank_code: str,
    account_no: str,
    holder_name: str,
    balance_fen: int,
    now: datetime,
    status: str = "normal",
) -> tuple[SandboxBankAccount, bool]:
    """Open the account, or set the holder, balance and status of the existing one; (account, created)."""
    account = find(session, bank_code, account_no, for_update=True)
    created = account is None
    if account is None:
        account = SandboxBankAccount(
            bank_code=bank_code,
            account_index=account_index(account_no),
            account_no=account_no,
            created_at=now,
        )
        session.add(account)
    account.holder_name, account.balance_fen, account.status, account.updated_at = (
        holder_name,
        balance_fen,
        status,
        now,
    )
    session.flush()
    return account, created


def entries_of(session: Session, account: SandboxBankAccount) -> list[SandboxBankEntry]:
    query = (
        select(SandboxBankEntry)
        .where(SandboxBankEntry.account_id == account.id)
        .order_by(SandboxBankEntry.created_at, SandboxBankEntry.id)
    )
    return list(session.scalars(query))


def control(session: Session) -> SandboxBankControl | None:
    return session.get(SandboxBankControl, 1)


def set_control(
    session: Session, mode: str, reason: str | None, now: datetime, batch_late_percent: int | None = None
) -> SandboxBankControl:
    row = session.get(SandboxBankControl, 1, with_for_update=True)
    if row is None:
        row = SandboxBankControl(id=1, batch_late_percent=0)
        session.add(row)
    row.mode, row.reason, row.updated_at = mode, reason, now
    if batch_late_percent is not None:
        row.batch_late_percent = batch_late_percent
    session.flush()
    return row
