"""The simulated bank's batch interface (批量扣税): it receives a signed batch file, deducts item by item
as a bank would (balances, holder names, closed accounts, revoked agreements), answers most items in a
first result file and a share of them late, in a second one, and acts on an item id once however many
times a file is sent. Received files are kept sealed in the data dir (they hold accounts and names).

Items are processed in chunks, one transaction each, so memory stays constant and a crash of either
side leaves every item either answered (its ledger row) or untouched.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import islice
from pathlib import Path
from typing import Any, cast

from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import Row, Table, bindparam, func, select, text, update
from sqlalchemy.orm import Session

from shebao.channels.bank import codes, keys
from shebao.channels.bank.batch import (
    BatchFileError,
    BatchItem,
    ResultHeader,
    ResultItem,
    SignedWriter,
    read_batch,
    verify,
    write_result_header,
    write_result_item,
)
from shebao.db import UnitOfWork, insert_rows, one_of
from shebao.kit.clock import to_shanghai
from shebao.kit.crypto import blind_index
from shebao.kit.ids import new_id, random_digits
from shebao.kit.sealed import read_lines
from shebao.runtime import Runtime
from shebao.sandbox.bank.accounts import INDEX_KIND, control
from shebao.sandbox.bank.models import (
    SandboxBankAccount,
    SandboxBankAgreement,
    SandboxBankBatch,
    SandboxBankEntry,
)

CHUNK = 5000
LABEL = "sandbox-bank-batch"  # received files are sealed under one label: they are renamed once read
LATE_AFTER = timedelta(minutes=30)  # the late share is answered this long after the file arrived


def folder(runtime: Runtime) -> Path:
    return Path(runtime.settings.data_dir) / "sandbox_bank" / "batches"


def is_late(item_id: str, percent: int) -> bool:
    """A stable share of the items (by item id) that the bank answers late."""
    if percent <= 0:
        return False
    return int(hashlib.sha256(item_id.encode()).hexdigest()[:8], 16) % 100 < percent


@dataclass(frozen=True)
class Receipt:
    batch_no: str
    bank_code: str
    item_count: int
    total_fen: int
    duplicate: bool


def accept(runtime: Runtime, work: UnitOfWork, path: Path, now: datetime) -> Receipt:
    """A batch file received (sealed at `path`): checked whole, recorded once, its first part processed, in
    steps of `work` (the request's unit of work, decision 0016)."""
    public = keys.app_public_key(runtime.settings)
    verify(read_lines(path, label=LABEL), public)
    header, items = read_batch(read_lines(path, label=LABEL))
    count = total = 0
    for item in items:  # a full pass: the trailer is checked at the end
        count, total = count + 1, total + item.amount_fen
    with work.step() as step:
        found = step.session.scalars(
            select(SandboxBankBatch).where(SandboxBankBatch.batch_no == header.batch_no)
        ).first()
        if found is not None:
            path.unlink(missing_ok=True)
            return Receipt(found.batch_no, found.bank_code, found.item_count, found.total_fen, True)
        row = control(step.session)
        kept = folder(runtime) / f"{header.batch_no}.sealed"
        path.replace(kept)
        batch = SandboxBankBatch(
            batch_no=header.batch_no,
            bank_code=header.bank_code,
            item_count=count,
            total_fen=total,
            file_name=kept.name,
            late_percent=row.batch_late_percent if row else 0,
            parts=0,
            received_at=now,
        )
        step.session.add(batch)
    process(runtime, work, header.batch_no, part=1, now=now)
    return Receipt(header.batch_no, header.bank_code, count, total, False)


def _chunks(items: Iterator[BatchItem]) -> Iterator[list[BatchItem]]:
    while chunk := list(islice(items, CHUNK)):
        yield chunk


def process(runtime: Runtime, work: UnitOfWork, batch_no: str, *, part: int, now: datetime) -> None:
    """Deduct the items of one part (1: all but the late share; 2: the late share), chunk by chunk."""
    with work.read() as session:
        batch = session.scalars(select(SandboxBankBatch).where(SandboxBankBatch.batch_no == batch_no)).one()
        row = control(session)
    refuse = (row.reason or codes.message(codes.REFUSED)) if row and row.mode == "refuse" else None
    header, items = read_batch(read_lines(folder(runtime) / batch.file_name, label=LABEL))
    late = False
    for chunk in _chunks(items):
        chosen = [i for i in chunk if is_late(i.item_id, batch.late_percent) == (part == 2)]
        late = late or len(chosen) < len(chunk)
        if chosen:
            with work.step() as step:
                _deduct(step.session, header.bank_code, batch_no, part, chosen, now, refuse)
    with work.step() as step:
        found = step.session.get(SandboxBankBatch, batch.id, with_for_update=True)
        if found is not None:
            found.parts = max(found.parts, part)
            found.late_due_at = now + LATE_AFTER if part == 1 and late else None


def _deduct(
    session: Session,
    bank_code: str,
    batch_no: str,
    part: int,
    items: list[BatchItem],
    now: datetime,
    refuse: str | None,
) -> None:
    """One chunk: the accounts and agreements read in two statements, each item decided in order (a
    balance spent by an earlier item of the chunk counts), the ledger written in one COPY and the
    balances in one UPDATE."""
    ids = [i.item_id for i in items]
    seen = set(
        session.scalars(select(SandboxBankEntry.msg_id).where(one_of(session, SandboxBankEntry.msg_id, ids)))
    )
    todo = [i for i in items if i.item_id not in seen]
    if not todo:
        return
    index_of = {i.item_id: blind_index(i.account_no, kind=INDEX_KIND) for i in todo}
    account = SandboxBankAccount.__table__.c
    accounts = {
        row.account_index: row
        for row in session.execute(
            select(
                account.id, account.account_index, account.holder_name, account.status, account.balance_fen
            )
            .where(
                account.bank_code == bank_code, one_of(session, account.account_index, set(index_of.values()))
            )
            .order_by(account.id)
            .with_for_update()
        )
    }
    agreement = SandboxBankAgreement.__table__.c
    agreements = {
        row.agreement_no: row
        for row in session.execute(
            select(agreement.agreement_no, agreement.account_id, agreement.status).where(
                one_of(session, agreement.agreement_no, {i.agreement_no for i in todo})
            )
        )
    }
    balances: dict[uuid.UUID, int] = {}
    entries = []
    stamp = "BP" + to_shanghai(now).strftime("%Y%m%d")
    for item in todo:
        found = accounts.get(index_of[item.item_id])
        code = _decide(item, found, agreements.get(item.agreement_no), refuse)
        if code == codes.SUCCESS and found is not None:
            balance = balances.get(found.id, found.balance_fen)
            if balance < item.amount_fen:
                code = codes.INSUFFICIENT_BALANCE
            else:
                balances[found.id] = balance - item.amount_fen
        success = code == codes.SUCCESS
        entries.append(
            {
                "id": new_id(),
                "msg_id": item.item_id,
                "account_id": found.id if found else None,
                "agreement_no": item.agreement_no,
                "amount_fen": item.amount_fen,
                "result_code": code,
                "result_message": refuse if code == codes.REFUSED and refuse else codes.message(code),
                "serial_no": stamp + random_digits(16) if success else None,
                "balance_after_fen": balances[found.id] if success and found else None,
                "created_at": now,
                "batch_no": batch_no,
                "part": part,
            }
        )
    insert_rows(session, SandboxBankEntry, entries)
    if balances:
        _spend(session, balances, now)


def _spend(session: Session, balances: dict[uuid.UUID, int], now: datetime) -> None:
    """The chunk's new balances: one UPDATE … FROM two arrays on PostgreSQL, an executemany on SQLite."""
    if session.get_bind().dialect.name == "sqlite":
        table = cast(Table, SandboxBankAccount.__table__)
        session.connection().execute(
            update(table)
            .where(table.c.id == bindparam("account"))
            .values(balance_fen=bindparam("left"), updated_at=bindparam("at")),
            [{"account": key, "left": value, "at": now} for key, value in balances.items()],
        )
        return
    session.execute(
        text(
            "UPDATE sandbox_bank_accounts SET balance_fen = spent.balance_fen, updated_at = :now"
            " FROM unnest(CAST(:ids AS uuid[]), CAST(:balances AS bigint[])) AS spent (id, balance_fen)"
            " WHERE sandbox_bank_accounts.id = spent.id"
        ),
        {"ids": list(balances), "balances": list(balances.values()), "now": now},
    )


def _decide(item: BatchItem, account: Row[Any] | None, agreement: Row[Any] | None, refuse: str | None) -> str:
    """The answer for an item before its balance is looked at."""
    if refuse is not None:
        return codes.REFUSED
    if account is None:
        return codes.NO_ACCOUNT
    if account.status == "closed":
        return codes.ACCOUNT_CLOSED
    if account.status != "normal":
        return codes.ACCOUNT_BLOCKED
    if account.holder_name != item.holder_name:
        return codes.NAME_MISMATCH
    if agreement is None or agreement.account_id != account.id:
        return codes.NO_AGREEMENT
    if agreement.status != "active":
        return codes.AGREEMENT_REVOKED
    return codes.SUCCESS


def answer_late(runtime: Runtime, work: UnitOfWork, batch_no: str, now: datetime) -> SandboxBankBatch | None:
    """The batch, its late share processed first once its time has come."""
    with work.read() as session:
        batch = session.scalars(select(SandboxBankBatch).where(SandboxBankBatch.batch_no == batch_no)).first()
    if batch is None:
        return None
    if batch.late_due_at is not None and now >= batch.late_due_at and batch.parts < 2:
        process(runtime, work, batch_no, part=2, now=now)
        with work.read() as session:
            batch = session.get(SandboxBankBatch, batch.id)
    return batch


def answered(work: UnitOfWork, batch_no: str) -> int:
    with work.read() as session:
        found = session.scalar(
            select(func.count()).select_from(SandboxBankEntry).where(SandboxBankEntry.batch_no == batch_no)
        )
        return int(found or 0)


def result_lines(
    runtime: Runtime, work: UnitOfWork, batch: SandboxBankBatch, part: int, now: datetime
) -> Iterator[str]:
    """The signed result file of one part, streamed from the ledger by a read of `work` begun now."""
    header = ResultHeader(batch.batch_no, part, batch.bank_code, to_shanghai(now))
    key = keys.sandbox_private_key(runtime.settings)
    return work.streamed(lambda session: _result_lines(session, key, header))


def _result_lines(session: Session, key: rsa.RSAPrivateKey, header: ResultHeader) -> Iterator[str]:
    out: list[str] = []
    writer = SignedWriter(key, out.append)
    write_result_header(writer, header)
    count = succeeded = succeeded_fen = 0
    entry = SandboxBankEntry.__table__.c
    query = (
        select(
            entry.msg_id,
            entry.result_code,
            entry.result_message,
            entry.amount_fen,
            entry.serial_no,
            entry.created_at,
        )
        .where(entry.batch_no == header.batch_no, entry.part == header.part)
        .order_by(entry.msg_id)
        .execution_options(yield_per=CHUNK)
    )
    settled: dict[datetime, datetime] = {}  # a chunk's entries share their time: converted once
    for msg_id, code, message, amount_fen, serial_no, created_at in session.execute(query):
        ok = code == codes.SUCCESS
        if ok and created_at not in settled:
            settled[created_at] = to_shanghai(created_at)
        write_result_item(
            writer,
            ResultItem(msg_id, code, message, amount_fen, serial_no, settled[created_at] if ok else None),
        )
        count += 1
        if ok:
            succeeded, succeeded_fen = succeeded + 1, succeeded_fen + amount_fen
        if len(out) >= CHUNK:
            yield from out
            out.clear()
    writer.line("T", count, succeeded, succeeded_fen)
    writer.finish()
    yield from out


__all__ = ["BatchFileError", "Receipt", "accept", "answer_late", "answered", "folder", "result_lines"]
