"""`shebao ops refunds` and `shebao ops issues`: the operators' work lists (personal data masked)."""

from __future__ import annotations

import typer
from sqlalchemy import select

from shebao.kit.clock import format_local
from shebao.kit.money import format_yuan

ops_app = typer.Typer(help="运维与核对：重复缴费待退款、对账差异", no_args_is_help=True)


@ops_app.command("refunds")
def refunds() -> None:
    """列出重复缴费、待退款的缴款（申报已由另一笔缴款付清后到账的款项）。"""
    from shebao.commands import cli_runtime
    from shebao.identity.models import Person
    from shebao.payments.models import Payment

    with cli_runtime() as runtime, runtime.work().read() as session:
        query = select(Payment).where(Payment.duplicate.is_(True), Payment.refund_status == "to_refund")
        found = list(session.scalars(query.order_by(Payment.succeeded_at)))
        for payment in found:
            person = session.get(Person, payment.person_id)
            who = f"{person.masked_name} {person.masked_id_number}" if person else ""
            typer.echo(
                f"{format_local(payment.succeeded_at)}  {payment.method_label}  {payment.out_trade_no}  "
                f"{format_yuan(payment.amount_fen)}  {who}  申报 {payment.declaration_id}"
            )
        typer.echo(f"待退款 {len(found)} 笔")


@ops_app.command("issues")
def issues() -> None:
    """列出待人工核对的对账差异。"""
    from shebao.commands import cli_runtime
    from shebao.reconciliation.models import ReconciliationIssue
    from shebao.reconciliation.service import KIND_LABELS

    with cli_runtime() as runtime, runtime.work().read() as session:
        query = select(ReconciliationIssue).where(ReconciliationIssue.status == "open")
        found = list(
            session.scalars(query.order_by(ReconciliationIssue.bill_date, ReconciliationIssue.channel))
        )
        for issue in found:
            typer.echo(
                f"{issue.bill_date}  {issue.channel}  {KIND_LABELS[issue.kind]}  {issue.out_trade_no}  "
                f"对账单 {issue.statement_amount_fen} 分 / 本系统 {issue.our_amount_fen} 分"
            )
        typer.echo(f"待核对 {len(found)} 笔")
