"""`shebao deductions run --date YYYY-MM-DD` and the worker's periodic job: one batch deduction run.

Under the run lock (deductions.lock): collect the results of batches sent earlier (the bank's late
share), plan, declare and open what is due on the date, one batch file per bank, send each, fetch and
apply what the bank answered. No retry within a run: a failed item is tried again by a later day's run.
Then a summary (counts and amounts by outcome, reason and bank) on stdout and as a CSV report.
"""

from __future__ import annotations

import csv
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from shebao.channels.base import ChannelError
from shebao.deductions import exchange
from shebao.deductions.lock import run_lock
from shebao.deductions.models import (
    COMPLETED,
    DEDUCTION_LABELS,
    PLANNED,
    RUNNING,
    SENT,
    ContributionSetting,
    Deduction,
    DeductionBatch,
    DeductionRun,
)
from shebao.deductions.plan import plan
from shebao.kit.money import format_yuan
from shebao.logging import log
from shebao.reference.catalog import load_catalog
from shebao.runtime import Runtime

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Line:
    status: str
    reason: str
    bank_code: str
    count: int
    amount_fen: int

    @property
    def label(self) -> str:
        return DEDUCTION_LABELS.get(self.status, self.status)


@dataclass
class RunSummary:
    run_date: date
    planned_now: int = 0  # attempts this invocation planned (0 when the date was already done)
    lines: list[Line] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)
    report_path: Path | None = None

    def total(self, status: str) -> tuple[int, int]:
        chosen = [line for line in self.lines if line.status == status]
        return sum(line.count for line in chosen), sum(line.amount_fen for line in chosen)

    def render(self) -> str:
        catalog = load_catalog()
        rows = [f"批量扣款 {self.run_date}：本次新发起 {self.planned_now} 笔"]
        rows.append(f"  {'结果':<8}{'原因':<16}{'银行':<12}{'笔数':>10}{'金额':>18}")
        for line in self.lines:
            bank = catalog.bank(line.bank_code)
            name = bank.name if bank else line.bank_code
            rows.append(
                f"  {line.label:<8}{line.reason or '—':<16}{name:<12}{line.count:>10}"
                f"{format_yuan(line.amount_fen):>18}"
            )
        for status in ("succeeded", "failed", "sent"):
            count, amount = self.total(status)
            rows.append(f"  合计{DEDUCTION_LABELS[status]}：{count} 笔 {format_yuan(amount)}")
        rows += [f"  结果文件被拒收：{refusal}" for refusal in self.refusals]
        if self.report_path is not None:
            rows.append(f"  报告：{self.report_path}")
        return "\n".join(rows)


def _start(runtime: Runtime, day: date) -> uuid.UUID:
    with runtime.work().step() as step:
        run = DeductionRun(run_date=day, status=RUNNING, started_at=step.now)
        step.session.add(run)
        step.session.flush()
        return run.id


def collect_all(runtime: Runtime, *, progress: Progress | None = None) -> list[str]:
    """Send what was prepared and fetch what the bank has answered, for every unanswered batch."""
    refusals: list[str] = []
    for batch in exchange.outstanding(runtime):
        try:
            if batch.status == "prepared":
                if progress:
                    progress(f"发送批量扣款文件 {batch.batch_no}（{batch.item_count} 笔）")
                exchange.send(runtime, batch)
            applied = exchange.collect(runtime, batch)
            if progress and applied:
                progress(f"已入账银行结果 {batch.batch_no}：{applied} 笔")
        except exchange.ResultRefused as refused:
            refusals.append(str(refused))
        except ChannelError as exc:
            log.warning("batch_exchange_failed", batch_no=batch.batch_no, error=str(exc))
            refusals.append(f"{batch.batch_no}：{exc}")
    return refusals


def run(runtime: Runtime, day: date, *, progress: Progress | None = None) -> RunSummary:
    """One run for `day` (Asia/Shanghai); safe to repeat and to start twice at once."""
    with run_lock(runtime):
        run_id = _start(runtime, day)
        summary = RunSummary(day)
        summary.refusals += collect_all(runtime, progress=progress)  # earlier batches first

        def planned(count: int) -> None:
            if progress:
                progress(f"已检查缴费金额设置 {count} 条")

        summary.planned_now = plan(runtime, run_id, day, progress=planned)
        analyze(runtime)
        exchange.prepare(runtime, run_id, day)
        analyze(runtime, ("deductions",))  # the batches' items are known now
        summary.refusals += collect_all(runtime, progress=progress)
        summary.lines = lines_of(runtime, day)
        summary.report_path = write_report(runtime, run_id, summary)
        with runtime.work().step() as step:
            found = step.session.get(DeductionRun, run_id)
            if found is not None:
                found.status, found.finished_at = COMPLETED, step.now
                found.report_path = str(summary.report_path)
                found.summary = {
                    "planned_now": summary.planned_now,
                    "lines": [line.__dict__ for line in summary.lines],
                    "refusals": summary.refusals,
                }
        return summary


ANALYZED = ("deductions", "deduction_results", "payments", "declarations", "declaration_items", "payables")


def analyze(runtime: Runtime, tables: tuple[str, ...] = ANALYZED) -> None:
    """Fresh planner statistics after bulk changes (PostgreSQL): a table that was empty when last
    analysed and now holds a million rows would otherwise be joined as if it were empty."""
    if runtime.db.is_sqlite:
        return
    with runtime.work().step() as step:
        for table in tables:
            step.session.execute(text(f"ANALYZE {table}"))


def lines_of(runtime: Runtime, day: date) -> list[Line]:
    """Counts and amounts of the date's deductions by outcome, reason and bank (planned shows as sent)."""
    with runtime.work().read() as session:
        return report_lines(session, day)


def report_lines(session: Session, day: date, *, tax_office_code: str | None = None) -> list[Line]:
    """The report's figures: of every office, or of the deductions whose setting is of one office."""
    query = select(
        Deduction.status,
        func.coalesce(Deduction.failure_reason, ""),
        Deduction.bank_code,
        func.count(),
        func.coalesce(func.sum(Deduction.amount_fen), 0),
    ).where(Deduction.run_date == day)
    if tax_office_code is not None:
        query = query.join(ContributionSetting, ContributionSetting.id == Deduction.setting_id).where(
            ContributionSetting.tax_office_code == tax_office_code
        )
    rows = session.execute(
        query.group_by(Deduction.status, Deduction.failure_reason, Deduction.bank_code).order_by(
            Deduction.status, Deduction.bank_code, Deduction.failure_reason
        )
    ).all()
    merged: dict[tuple[str, str, str], list[int]] = {}
    for status, reason, bank_code, count, amount in rows:
        key = (SENT if status == PLANNED else status, reason, bank_code)
        merged.setdefault(key, [0, 0])
        merged[key][0] += int(count)
        merged[key][1] += int(amount)
    return [Line(s, r, b, c, a) for (s, r, b), (c, a) in merged.items()]


REPORT_HEADER = ["run_date", "outcome", "outcome_label", "reason", "bank_code", "bank", "count", "amount_fen"]


def report_rows(day: date, lines: list[Line]) -> list[list[str | int]]:
    """The CSV report's rows (the command's report file and the console's download)."""
    catalog = load_catalog()
    rows: list[list[str | int]] = []
    for line in lines:
        bank = catalog.bank(line.bank_code)
        rows.append(
            [
                day.isoformat(),
                line.status,
                line.label,
                line.reason,
                line.bank_code,
                bank.name if bank else "",
                line.count,
                line.amount_fen,
            ]
        )
    return rows


def write_report(runtime: Runtime, run_id: uuid.UUID, summary: RunSummary) -> Path:
    path = exchange.folder(runtime, summary.run_date) / f"report-{run_id.hex[:12]}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8-sig") as file:
        writer = csv.writer(file)
        writer.writerow(REPORT_HEADER)
        writer.writerows(report_rows(summary.run_date, summary.lines))
    return path


def batches_of(runtime: Runtime, day: date) -> list[DeductionBatch]:
    with runtime.work().read() as session:
        return list(session.scalars(select(DeductionBatch).where(DeductionBatch.run_date == day)))
