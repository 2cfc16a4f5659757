"""Reconcile one channel's statement of one closed day."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from shebao.audit.service import Actor, record
from shebao.channels.base import ChannelError, ChannelTimeout, RefundState, TradeState
from shebao.channels.statements import Statement, StatementLine, StatementSource
from shebao.db import UnitOfWork
from shebao.errors import MisconfiguredChannel, ValidationFailed
from shebao.kit.clock import start_of_local_day
from shebao.logging import log
from shebao.payments import refunds
from shebao.payments.models import SUCCEEDED, Payment
from shebao.payments.registry import adapter_for, configured_methods
from shebao.payments.repository import PaymentRepository
from shebao.reconciliation.models import ReconciliationIssue, StatementRun
from shebao.runtime import Runtime
from shebao.settlement.query import record_state

STATEMENT = Actor("provider", "statement")  # a refund settled by the provider's statement
STATEMENT_CHANNELS = ("alipay", "wechat", "unionpay")
KIND_LABELS = {
    "unknown_payment": "渠道有、本系统无的交易",
    "amount_mismatch": "金额不一致",
    "missing_in_statement": "本系统已缴款、对账单无记录",
    "unknown_refund": "渠道有、本系统无的退款",
    "refund_mismatch": "退款金额不一致",
    "refund_missing": "本系统已退款、对账单无记录",
}


class ReconcileRefused(ValidationFailed):
    code = "reconcile_refused"


@dataclass
class Finding:
    kind: str
    out_trade_no: str
    provider_trade_no: str | None
    statement_amount_fen: int | None
    our_amount_fen: int | None
    payment_id: object = None


@dataclass
class RunSummary:
    channel: str
    bill_date: date
    already_processed: bool = False
    lines: int = 0
    matched: int = 0
    settled: int = 0
    findings: list[Finding] = field(default_factory=list)
    report_path: Path | None = None

    def render(self) -> str:
        head = f"{self.channel} {self.bill_date}："
        if self.already_processed:
            return head + "该对账单已处理过，未作任何变更"
        return head + (
            f"对账单{self.lines}笔，相符{self.matched}笔，补记缴款成功{self.settled}笔，"
            f"差异{len(self.findings)}笔（待人工核对）"
        )


def statement_channels(runtime: Runtime) -> list[str]:
    """The configured channels whose adapter can fetch its provider's statement."""
    configured = configured_methods(runtime.settings)
    return [
        channel
        for channel in STATEMENT_CHANNELS
        if channel in configured and isinstance(adapter_for(channel, runtime), StatementSource)
    ]


def check_day(runtime: Runtime, day: date) -> None:
    if day >= runtime.clock.today():
        raise ReconcileRefused("只能对已结束的日期对账（北京时间今天之前）")


def _already(work: UnitOfWork, statement: Statement) -> bool:
    with work.read() as session:
        query = select(StatementRun.id).where(
            StatementRun.channel == statement.channel,
            StatementRun.bill_date == statement.bill_date,
            StatementRun.digest == statement.digest,
        )
        return session.scalar(query) is not None


def _unique_lines(statement: Statement) -> list[StatementLine]:
    seen: set[tuple[str, str]] = set()
    lines = []
    for line in statement.lines:
        key = (line.kind, line.provider_trade_no or line.out_trade_no)
        if key not in seen:  # a duplicated line counts once
            seen.add(key)
            lines.append(line)
    return lines


def _compare(
    runtime: Runtime, work: UnitOfWork, channel: str, lines: list[StatementLine], summary: RunSummary
) -> None:
    for line in lines:
        if line.kind == "refund":
            _compare_refund(work, channel, line, summary)
            continue
        with work.read() as session:
            payment = PaymentRepository(session).by_trade(channel, line.out_trade_no)
        if payment is None:
            summary.findings.append(
                Finding("unknown_payment", line.out_trade_no, line.provider_trade_no, line.amount_fen, None)
            )
        elif line.amount_fen != payment.amount_fen:
            summary.findings.append(
                Finding(
                    "amount_mismatch",
                    line.out_trade_no,
                    line.provider_trade_no,
                    line.amount_fen,
                    payment.amount_fen,
                    payment.id,
                )
            )
        elif payment.status == SUCCEEDED:
            summary.matched += 1
        else:  # its notification never came: the statement is the provider's word that it was paid
            state = TradeState(
                line.out_trade_no, "succeeded", line.amount_fen, line.provider_trade_no, line.completed_at
            )
            settled = record_state(runtime, payment, state, work)
            summary.settled += settled.status == SUCCEEDED
            summary.matched += settled.status == SUCCEEDED


def _compare_refund(work: UnitOfWork, channel: str, line: StatementLine, summary: RunSummary) -> None:
    """A refund line matches our refund of that payment; one still `sending` is settled by it (the
    statement is the provider's word); one we never made, or of another amount, is a finding."""
    with work.step() as step:
        refund = _refund_of_line(step.session, channel, line)
        if refund is not None and refund.status == refunds.SENDING and refund.amount_fen == line.amount_fen:
            state = RefundState(refund.out_refund_no, "succeeded", line.amount_fen, None, line.completed_at)
            refunds.apply_state(step.session, refund, state, now=step.now, actor=STATEMENT)
            summary.settled += 1
        if refund is None or refund.status not in (refunds.SUCCEEDED, refunds.SENDING):
            summary.findings.append(
                Finding("unknown_refund", line.out_trade_no, line.provider_trade_no, line.amount_fen, None)
            )
        elif refund.amount_fen != line.amount_fen:
            summary.findings.append(
                Finding(
                    "refund_mismatch",
                    line.out_trade_no,
                    line.provider_trade_no,
                    line.amount_fen,
                    refund.amount_fen,
                    refund.payment_id,
                )
            )
        else:
            summary.matched += 1


def _refund_of_line(session: Session, channel: str, line: StatementLine) -> refunds.Refund | None:
    """Our refund a refund line names, locked: by the refunded payment's out_trade_no (Alipay, WeChat Pay),
    or by our refund request id where the file names the refund's own order (UnionPay's 退货 orderId)."""
    payment = PaymentRepository(session).by_trade(channel, line.out_trade_no)
    if payment is not None:
        return refunds.of_payment(session, payment.id, for_update=True)
    query = select(refunds.Refund).where(
        refunds.Refund.method == channel, refunds.Refund.out_refund_no == line.out_trade_no
    )
    return session.scalars(query.with_for_update().execution_options(populate_existing=True)).first()


def _missing_refunds(work: UnitOfWork, channel: str, day: date, lines: list[StatementLine]) -> list[Finding]:
    listed = {line.out_trade_no for line in lines if line.kind == "refund"}
    start = start_of_local_day(day)
    with work.read() as session:
        ours = session.execute(
            select(refunds.Refund, Payment)
            .join(Payment, Payment.id == refunds.Refund.payment_id)
            .where(
                refunds.Refund.method == channel,
                refunds.Refund.status == refunds.SUCCEEDED,
                refunds.Refund.refunded_at >= start,
                refunds.Refund.refunded_at < start + timedelta(days=1),
            )
        )
        return [
            Finding("refund_missing", p.out_trade_no, p.provider_trade_no, None, r.amount_fen, p.id)
            for r, p in ours
            if p.out_trade_no not in listed and r.out_refund_no not in listed
        ]


def _missing(work: UnitOfWork, channel: str, day: date, lines: list[StatementLine]) -> list[Finding]:
    listed = {line.out_trade_no for line in lines if line.kind == "payment"}
    start = start_of_local_day(day)
    with work.read() as session:
        ours = session.scalars(
            select(Payment).where(
                Payment.method == channel,
                Payment.status == SUCCEEDED,
                Payment.succeeded_at >= start,
                Payment.succeeded_at < start + timedelta(days=1),
            )
        )
        return [
            Finding("missing_in_statement", p.out_trade_no, p.provider_trade_no, None, p.amount_fen, p.id)
            for p in ours
            if p.out_trade_no not in listed
        ]


def _store(work: UnitOfWork, statement: Statement, summary: RunSummary) -> None:
    with work.step() as step:
        session, now = step.session, step.now
        run = StatementRun(
            channel=statement.channel,
            bill_date=statement.bill_date,
            digest=statement.digest,
            lines=summary.lines,
            matched=summary.matched,
            settled=summary.settled,
            issues=len(summary.findings),
            ran_at=now,
        )
        session.add(run)
        for finding in summary.findings:
            exists = session.scalar(
                select(ReconciliationIssue.id).where(
                    ReconciliationIssue.channel == statement.channel,
                    ReconciliationIssue.kind == finding.kind,
                    ReconciliationIssue.out_trade_no == finding.out_trade_no,
                )
            )
            if exists is None:
                session.add(
                    ReconciliationIssue(
                        channel=statement.channel,
                        bill_date=statement.bill_date,
                        kind=finding.kind,
                        out_trade_no=finding.out_trade_no,
                        provider_trade_no=finding.provider_trade_no,
                        statement_amount_fen=finding.statement_amount_fen,
                        our_amount_fen=finding.our_amount_fen,
                        payment_id=finding.payment_id,
                        status="open",
                        found_at=now,
                    )
                )
        session.flush()
        record(
            session,
            actor=Actor.system(),
            action="reconciliation.run",
            object_type="statement_run",
            object_id=run.id,
            at=now,
            after={
                "channel": statement.channel,
                "bill_date": str(statement.bill_date),
                "matched": summary.matched,
                "settled": summary.settled,
                "issues": len(summary.findings),
            },
        )


def write_report(runtime: Runtime, summary: RunSummary) -> Path:
    folder = runtime.settings.data_dir / "reconciliation"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{summary.channel}-{summary.bill_date.isoformat()}.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "kind",
                "kind_label",
                "out_trade_no",
                "provider_trade_no",
                "statement_amount_fen",
                "our_amount_fen",
            ]
        )
        for f in summary.findings:
            writer.writerow(
                [
                    f.kind,
                    KIND_LABELS[f.kind],
                    f.out_trade_no,
                    f.provider_trade_no or "",
                    "" if f.statement_amount_fen is None else f.statement_amount_fen,
                    "" if f.our_amount_fen is None else f.our_amount_fen,
                ]
            )
    return path


def reconcile(runtime: Runtime, channel: str, day: date) -> RunSummary:
    check_day(runtime, day)
    if channel not in statement_channels(runtime):
        raise ReconcileRefused(f"渠道 {channel} 未启用或不支持对账")
    adapter = adapter_for(channel, runtime)
    if not isinstance(adapter, StatementSource):
        raise MisconfiguredChannel(f"渠道 {channel} 不提供对账单")
    work = runtime.work()
    try:
        with work.between():
            statement = adapter.statement(day)
    except (ChannelError, ChannelTimeout) as exc:
        raise ReconcileRefused(f"对账单下载失败：{exc}") from exc
    summary = RunSummary(channel=channel, bill_date=day)
    if _already(work, statement):
        summary.already_processed = True
        return summary
    lines = _unique_lines(statement)
    summary.lines = len(lines)
    _compare(runtime, work, channel, lines, summary)
    summary.findings += _missing(work, channel, day, lines) + _missing_refunds(work, channel, day, lines)
    _store(work, statement, summary)
    summary.report_path = write_report(runtime, summary)
    log.info(
        "reconciled",
        channel=channel,
        day=str(day),
        matched=summary.matched,
        settled=summary.settled,
        issues=len(summary.findings),
    )
    return summary


def reconcile_due(runtime: Runtime) -> list[RunSummary]:
    """The daily job, as a sweep on the service clock: yesterday's statement of each channel, once."""
    day = runtime.clock.today() - timedelta(days=1)
    done = []
    work = runtime.work()
    for channel in statement_channels(runtime):
        with work.read() as session:
            ran = session.scalar(
                select(StatementRun.id).where(StatementRun.channel == channel, StatementRun.bill_date == day)
            )
        if ran is None:
            try:
                done.append(reconcile(runtime, channel, day))
            except ReconcileRefused as exc:
                log.warning("reconcile_skipped", channel=channel, day=str(day), reason=exc.detail)
    return done
