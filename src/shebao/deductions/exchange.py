"""The batch files of a run: prepare one per bank, send it, fetch the bank's result files, check each
whole before anything of it is applied, then apply it chunk by chunk through the settlement core.

Files live in `{data_dir}/deductions/{run_date}/`: the batch file sealed (it holds account numbers and
names), each result file as the bank signed it. Every step is idempotent, so a run killed at any point
and started again continues where it stopped: a prepared batch is sent again (the bank acts on a batch
number and an item id once), a result file already staged is not staged twice, and applying changes
only deductions of the batch still awaiting their result (`planned` in a sent batch, or `sent`).
"""

from __future__ import annotations

import uuid
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date, datetime
from itertools import islice
from pathlib import Path
from typing import Any

from sqlalchemy import and_, case, exists, func, or_, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shebao.agreements.models import REJECTED, REVOKED, Agreement
from shebao.channels.bank import codes, keys
from shebao.channels.bank.batch import (
    BatchFileError,
    BatchHeader,
    BatchItem,
    ResultItem,
    SignedWriter,
    read_result,
    verify,
    write_batch_header,
    write_batch_item,
)
from shebao.channels.bank.transfer import batch_transport, lines_of
from shebao.db import bulk_update, insert_rows, one_of
from shebao.deductions.models import (
    ACTIVE,
    BATCH_ANSWERED,
    BATCH_PLANNING,
    BATCH_PREPARED,
    BATCH_SENT,
    CANCELLED,
    FAILED,
    PLANNED,
    SENT,
    SUCCEEDED,
    ContributionSetting,
    Deduction,
    DeductionBatch,
    DeductionResult,
)
from shebao.deductions.plan import new_batch
from shebao.enrolment.terms import scheme_label
from shebao.identity.models import Person
from shebao.identity.providers import sms_sender
from shebao.kit.clock import to_shanghai
from shebao.kit.ids import new_id
from shebao.kit.masking import mask_name
from shebao.kit.sealed import SealedWriter, read_lines
from shebao.logging import log
from shebao.payables.models import Payable
from shebao.payments.eticket import BATCH_SERIAL_FROM
from shebao.payments.models import Payment
from shebao.reference.models import TaxOffice
from shebao.runtime import Runtime
from shebao.settlement import batch as settlement

CHUNK = 5000


def folder(runtime: Runtime, day: date) -> Path:
    return Path(runtime.settings.data_dir) / "deductions" / day.isoformat()


# --- prepare ------------------------------------------------------------------------------------------


def _cancel_unsendable(session: Session, now: datetime, unsent: Any) -> None:
    """Planned items (of `unsent` batches) whose setting was voided (or agreement revoked) before they
    were sent: cancelled and taken out of their batch, their payments closed; nothing was sent, so
    nothing is deducted."""
    for reason, condition in (
        (
            "缴费金额设置已作废",
            exists(
                select(ContributionSetting.id).where(
                    ContributionSetting.id == Deduction.setting_id, ContributionSetting.status != ACTIVE
                )
            ),
        ),
        (
            "协议已撤销",
            exists(
                select(Agreement.id).where(
                    Agreement.id == Deduction.agreement_id, Agreement.status.in_((REVOKED, REJECTED))
                )
            ),
        ),
    ):
        chosen = and_(Deduction.status == PLANNED, unsent, condition)
        settlement.close_unsent(session, select(Deduction.payment_id).where(chosen).subquery(), now, reason)
        session.execute(
            bulk_update(Deduction)
            .where(chosen)
            .values(status=CANCELLED, batch_id=None, failure_reason=reason, updated_at=now)
        )


def prepare(runtime: Runtime, run_id: uuid.UUID, day: date) -> None:
    """Every batch still `planning` (this run's, or a killed run's) is prepared: its unsendable items
    cancelled, its count and total fixed; a batch left empty is dropped."""
    with runtime.work().step() as step:
        session, now = step.session, step.now
        planning = list(
            session.scalars(
                select(DeductionBatch)
                .where(DeductionBatch.status == BATCH_PLANNING)
                .order_by(DeductionBatch.created_at, DeductionBatch.batch_no)
            )
        )
        ids = [batch.id for batch in planning]
        _cancel_unsendable(
            session, now, or_(Deduction.batch_id.is_(None), one_of(session, Deduction.batch_id, ids))
        )
        # Planned items in no batch (planned before items were put in a batch as they were planned).
        banks = session.scalars(
            select(Deduction.bank_code)
            .where(Deduction.batch_id.is_(None), Deduction.status == PLANNED)
            .distinct()
            .order_by(Deduction.bank_code)
        ).all()
        for bank_code in banks:
            batch = new_batch(session, run_id, day, bank_code, now)
            session.execute(
                bulk_update(Deduction)
                .where(
                    Deduction.batch_id.is_(None),
                    Deduction.status == PLANNED,
                    Deduction.bank_code == bank_code,
                )
                .values(batch_id=batch.id, updated_at=now)
            )
            planning.append(batch)
        for batch in planning:
            count, total = session.execute(
                select(func.count(), func.coalesce(func.sum(Deduction.amount_fen), 0)).where(
                    Deduction.batch_id == batch.id
                )
            ).one()
            if not count:
                session.delete(batch)
                continue
            batch.item_count, batch.total_fen, batch.status = int(count), int(total), BATCH_PREPARED


def _batch_path(runtime: Runtime, batch: DeductionBatch) -> Path:
    return folder(runtime, batch.run_date) / f"{batch.batch_no}.sealed"


def write_file(runtime: Runtime, batch: DeductionBatch) -> Path:
    """The signed batch file, streamed from the database into a sealed file (once)."""
    path = _batch_path(runtime, batch)
    if path.exists():
        return path
    key = keys.private_key(runtime.settings)
    with SealedWriter(path) as sealed, runtime.work().read() as session:
        writer = SignedWriter(key, sealed.write)
        write_batch_header(
            writer,
            BatchHeader(
                batch.batch_no,
                runtime.settings.bank_node_code,
                batch.bank_code,
                batch.run_date,
                to_shanghai(batch.created_at),
            ),
        )
        query = (
            select(
                Deduction.item_id,
                Agreement.agreement_no,
                Agreement.account_no,
                Agreement.holder_name,
                Agreement.tax_office_code,
                Deduction.amount_fen,
            )
            .join(Agreement, Agreement.id == Deduction.agreement_id)
            .where(Deduction.batch_id == batch.id)
            .order_by(Deduction.item_id)
            .execution_options(yield_per=CHUNK)
        )
        count = total = 0
        for row in session.execute(query):
            write_batch_item(writer, BatchItem(*row))
            count, total = count + 1, total + row[5]
        writer.line("T", count, total)
        writer.finish()
    with runtime.work().step() as step:
        found = step.session.get(DeductionBatch, batch.id)
        if found is not None:
            found.file_name = path.name
    return path


# --- send ---------------------------------------------------------------------------------------------


def send(runtime: Runtime, batch: DeductionBatch) -> None:
    """Hand the file to the bank; once it acknowledged, the batch is sent. Its items stay `planned`:
    an item's "sent" is its batch's (decision 0022), so no row of a million is written for it."""
    path = write_file(runtime, batch)
    received = batch_transport(runtime.settings).send(batch.batch_no, read_lines(path))
    if (received.item_count, received.total_fen) != (batch.item_count, batch.total_fen):
        log.error("batch_receipt_mismatch", batch_no=batch.batch_no, items=received.item_count)
    with runtime.work().step() as step:
        session, now = step.session, step.now
        found = session.get(DeductionBatch, batch.id, with_for_update=True)
        if found is None or found.status != BATCH_PREPARED:
            return
        mine = and_(Deduction.batch_id == batch.id, Deduction.status == PLANNED)
        settlement.mark_sent(session, select(Deduction.payment_id).where(mine).subquery(), now)
        found.status, found.sent_at = BATCH_SENT, now


# --- results ------------------------------------------------------------------------------------------


class ResultRefused(Exception):
    def __init__(self, batch_no: str, part: int, reason: str) -> None:
        super().__init__(f"{batch_no} 结果文件{part}：{reason}")
        self.reason = reason


def collect(runtime: Runtime, batch: DeductionBatch, *, notify: bool = True) -> int:
    """Fetch and apply the result files the bank has ready for this batch; answers the items applied."""
    transport = batch_transport(runtime.settings)
    results = transport.results(batch.batch_no)
    applied = 0
    for part in results.parts:
        if part <= batch.parts_applied:
            continue
        path = folder(runtime, batch.run_date) / f"{batch.batch_no}-R{part}.txt"
        if not _staged(runtime, batch, part):
            tmp = path.with_name(path.name + ".part")
            tmp.parent.mkdir(parents=True, exist_ok=True)
            with tmp.open("wb") as sink:
                transport.fetch(batch.batch_no, part, sink.write)
            tmp.replace(path)
            stage(runtime, batch, part, path)
            if not runtime.db.is_sqlite:
                # Fresh statistics for applying it: the staged results. (The items keep the status they
                # were analysed with, `planned`, decision 0022: no ANALYZE of a million of them here.)
                with runtime.work().step() as step:
                    step.session.execute(text("ANALYZE deduction_results"))
        applied += apply(runtime, batch, notify=notify)
        with runtime.work().step() as step:
            found = step.session.get(DeductionBatch, batch.id, with_for_update=True)
            if found is not None:
                found.parts_applied = max(found.parts_applied, part)
                found.refusal = None
        batch.parts_applied = part
    _close_if_answered(runtime, batch)
    return applied


def _close_if_answered(runtime: Runtime, batch: DeductionBatch) -> None:
    with runtime.work().step() as step:
        open_items = step.session.scalar(
            select(func.count()).where(Deduction.batch_id == batch.id, Deduction.status.in_((PLANNED, SENT)))
        )
        found = step.session.get(DeductionBatch, batch.id, with_for_update=True)
        if found is not None and found.status == BATCH_SENT and not open_items:
            found.status, found.answered_at = BATCH_ANSWERED, step.now


def _staged(runtime: Runtime, batch: DeductionBatch, part: int) -> bool:
    with runtime.work().read() as session:
        return (
            session.scalar(
                select(DeductionResult.id)
                .where(DeductionResult.batch_id == batch.id, DeductionResult.part == part)
                .limit(1)
            )
            is not None
        )


def _chunks(items: Iterator[ResultItem]) -> Iterator[list[ResultItem]]:
    while chunk := list(islice(items, CHUNK)):
        yield chunk


class _Etickets:
    """电子税票号码 of batch payments: the tax office's region, the payment date, and a serial from
    BATCH_SERIAL_FROM up per region and day (real-time payments draw theirs below it)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.next: dict[str, int] = {}

    def issue(self, region: str, settled_at: datetime) -> str:
        prefix = (
            "3"
            + (region[:6] if region[:6].isdigit() else "110000").ljust(6, "0")
            + to_shanghai(settled_at).strftime("%y%m%d")
        )
        serial = self.next.get(prefix)
        if serial is None:
            highest = self.session.scalar(
                select(func.max(Payment.eticket_no)).where(
                    Payment.eticket_no >= prefix + str(BATCH_SERIAL_FROM),
                    Payment.eticket_no <= prefix + "9999999",
                )
            )
            serial = int(highest[-7:]) + 1 if highest else BATCH_SERIAL_FROM
        self.next[prefix] = serial + 1
        return prefix + str(serial).zfill(7)


def stage(runtime: Runtime, batch: DeductionBatch, part: int, path: Path) -> None:
    """Check a result file whole (signature, records, totals, every item one of this batch's with its
    amount) and stage it; a file that fails any check is refused whole: nothing of it is staged."""
    try:
        verify(lines_of(_chunks_of(path)), keys.bank_public_key(runtime.settings))
        with runtime.work().step() as step:
            _stage(step.session, batch, part, path)
    except (BatchFileError, IntegrityError, UnicodeDecodeError) as exc:
        reason = str(exc).split("\n")[0] if not isinstance(exc, IntegrityError) else "结果文件中有重复的明细"
        log.error("batch_result_refused", batch_no=batch.batch_no, part=part, reason=reason)
        with runtime.work().step() as step:
            found = step.session.get(DeductionBatch, batch.id, with_for_update=True)
            if found is not None:
                found.refusal = f"结果文件{part}被拒收：{reason}"[:300]
        raise ResultRefused(batch.batch_no, part, reason) from exc


def _chunks_of(path: Path) -> Iterator[bytes]:
    with path.open("rb") as file:
        while chunk := file.read(1 << 16):
            yield chunk


def _stage(session: Session, batch: DeductionBatch, part: int, path: Path) -> None:
    header, items = read_result(lines_of(_chunks_of(path)))
    if (header.batch_no, header.part, header.bank_code) != (batch.batch_no, part, batch.bank_code):
        raise BatchFileError("结果文件头的批次号、序号或银行与批次不符")
    etickets = _Etickets(session)
    for chunk in _chunks(items):
        # By the unique item id alone (the batch is checked below): a batch's million rows are no
        # index to search five thousand ids in.
        known = {
            row.item_id: row
            for row in session.execute(
                select(Deduction.item_id, Deduction.batch_id, Deduction.amount_fen, TaxOffice.region_code)
                .join(Payable, Payable.id == Deduction.payable_id)
                .join(TaxOffice, TaxOffice.code == Payable.tax_office_code)
                .where(one_of(session, Deduction.item_id, [i.item_id for i in chunk]))
            )
            if row.batch_id == batch.id
        }
        ids = [i.item_id for i in chunk]
        repeated = session.scalar(
            select(DeductionResult.item_id)
            .where(DeductionResult.batch_id == batch.id, one_of(session, DeductionResult.item_id, ids))
            .limit(1)
        )
        if repeated is not None or len(set(ids)) != len(ids):
            raise BatchFileError("结果文件中有重复的明细")
        rows: list[dict[str, Any]] = []
        for item in chunk:
            found = known.get(item.item_id)
            if found is None:
                raise BatchFileError(f"结果文件中有本批次没有的明细：{item.item_id}")
            if found.amount_fen != item.amount_fen:
                raise BatchFileError(f"明细金额与批次不符：{item.item_id}")
            settled = item.settled_at if item.succeeded else None
            rows.append(
                {
                    "id": new_id(),
                    "batch_id": batch.id,
                    "part": part,
                    "item_id": item.item_id,
                    "code": item.code,
                    "message": codes.message(item.code, item.message)[:200],
                    "amount_fen": item.amount_fen,
                    "serial_no": item.serial_no,
                    "settled_at": settled,
                    "eticket_no": etickets.issue(found.region_code, settled) if settled else None,
                }
            )
        insert_rows(session, DeductionResult, rows)
        session.flush()


# An item of a sent batch awaiting its result: `planned` (its batch says sent), or `sent` (written so
# before decision 0022).
AWAITING = (PLANNED, SENT)

WORKERS = 2  # PostgreSQL: chunks of the apply in flight at once, each on a connection of its own


def apply(runtime: Runtime, batch: DeductionBatch, *, notify: bool = True) -> int:
    """Apply the staged results of this batch's items still `sent`, a chunk at a time; on PostgreSQL
    up to WORKERS chunks at once (their rows are disjoint; each chunk is a step of its own)."""
    work = runtime.work()

    def next_ids(after: str) -> list[str]:
        with work.read() as session:
            return list(
                session.scalars(
                    select(Deduction.item_id)
                    .join(DeductionResult, _joined())
                    .where(
                        Deduction.batch_id == batch.id,
                        Deduction.status.in_(AWAITING),
                        Deduction.item_id > after,
                    )
                    .order_by(Deduction.item_id)
                    .limit(CHUNK)
                )
            )

    ids = next_ids("")
    if not ids:
        return 0
    _apply_chunk(runtime, batch, ids, notify)
    applied, after = len(ids), ids[-1]
    if runtime.db.is_sqlite:  # one writer: the rest in turn
        while ids := next_ids(after):
            _apply_chunk(runtime, batch, ids, notify)
            applied, after = applied + len(ids), ids[-1]
        return applied
    # Statistics with paid rows in them: last analysed with none, "declaration paid" was taken for no
    # row, and the planner scanned every paid declaration for each row of a chunk.
    with work.step() as step:
        for table in ("payments", "declarations", "payables"):
            step.session.execute(text(f"ANALYZE {table}"))
    with ThreadPoolExecutor(WORKERS, thread_name_prefix="batch-apply") as pool:
        running: deque[Future[None]] = deque()
        while ids := next_ids(after):  # the chunks in flight are after `after`: none is read twice
            if len(running) >= WORKERS:
                running.popleft().result()
            running.append(pool.submit(_apply_chunk, runtime, batch, ids, notify))
            applied, after = applied + len(ids), ids[-1]
        for chunk in running:
            chunk.result()
    return applied


def _joined() -> Any:
    return and_(DeductionResult.batch_id == Deduction.batch_id, DeductionResult.item_id == Deduction.item_id)


def _apply_chunk(runtime: Runtime, batch: DeductionBatch, ids: list[str], notify: bool) -> None:
    """One chunk's results, in one step: payments, declarations, payables, texts, the items."""
    joined = _joined()
    with runtime.work().step() as step:
        session, now = step.session, step.now
        # By the unique item ids: a range of them over the batch's index of still-sent items read
        # what was left of the batch for every chunk.
        chosen = and_(
            one_of(session, Deduction.item_id, ids),
            Deduction.batch_id == batch.id,
            Deduction.status.in_(AWAITING),
        )
        source = (
            select(
                Deduction.payment_id,
                Deduction.declaration_id,
                (DeductionResult.code == codes.SUCCESS).label("succeeded"),
                DeductionResult.serial_no,
                DeductionResult.settled_at,
                DeductionResult.eticket_no,
                DeductionResult.message.label("reason"),
            )
            .join(DeductionResult, joined)
            .where(chosen)
            .subquery()
        )
        settlement.apply_outcomes(session, source, now)
        if notify:
            _notify_failures(runtime, session, batch.id, ids, now)
        ok = DeductionResult.code == codes.SUCCESS
        session.execute(
            bulk_update(Deduction)
            .where(chosen, joined)
            .values(
                status=case((ok, SUCCEEDED), else_=FAILED),
                failure_code=case((ok, None), else_=DeductionResult.code),
                failure_reason=case((ok, None), else_=DeductionResult.message),
                updated_at=now,
            )
        )


def _notify_failures(
    runtime: Runtime, session: Session, batch_id: uuid.UUID, ids: list[str], now: datetime
) -> None:
    """An SMS to the payer of each failed item of the chunk still awaiting its result: what failed,
    why, and what to do."""
    # The chunk's failures first, by the results' unique (batch, item id), then their items by the
    # unique item id: one join of both filtered by the chunk was planned as a scan (2.4 s a chunk).
    reasons: dict[str, str] = {
        item_id: message
        for item_id, message in session.execute(
            select(DeductionResult.item_id, DeductionResult.message).where(
                DeductionResult.batch_id == batch_id,
                one_of(session, DeductionResult.item_id, ids),
                DeductionResult.code != codes.SUCCESS,
            )
        )
    }
    if not reasons:
        return
    failed = session.execute(
        select(
            Deduction.item_id,
            Deduction.payer_id,
            Deduction.person_id,
            Deduction.scheme,
            Deduction.fee_year,
            Deduction.amount_fen,
        ).where(
            one_of(session, Deduction.item_id, list(reasons)),
            Deduction.batch_id == batch_id,
            Deduction.status.in_(AWAITING),
        )
    ).all()
    if not failed:
        return
    people = {
        p.id: p
        for p in session.scalars(
            select(Person).where(Person.id.in_({r.payer_id for r in failed} | {r.person_id for r in failed}))
        )
    }
    sender = sms_sender(runtime.settings.sms_provider)
    for row in failed:
        payer, insured = people.get(row.payer_id), people.get(row.person_id)
        if payer is None or not payer.phone or insured is None:
            continue
        whom = "您" if row.payer_id == row.person_id else f"您为{mask_name(insured.name)}"
        reason = reasons[row.item_id]
        text = (
            f"【社保费】{whom}设置的{scheme_label(row.scheme)}{row.fee_year}年度批量扣款未成功"
            f"（{row.amount_fen // 100}元）：{reason}。可在缴费期内自行缴费，或处理后等待下次批扣。"
        )
        sender.send(session, payer.phone, text, "", now)


def outstanding(runtime: Runtime) -> list[DeductionBatch]:
    """Batches prepared or sent whose items are not all answered (any run date)."""
    with runtime.work().read() as session:
        return list(
            session.scalars(
                select(DeductionBatch)
                .where(DeductionBatch.status.in_((BATCH_PREPARED, BATCH_SENT)))
                .order_by(DeductionBatch.created_at)
            )
        )


__all__ = ["CHUNK", "ResultRefused", "apply", "collect", "folder", "outstanding", "prepare", "send", "stage"]
