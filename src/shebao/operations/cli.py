"""`shebao ops refunds` (refunds by status) and `shebao ops issues`: the operators' work lists (personal
data masked)."""

from __future__ import annotations

import typer
from sqlalchemy import select

from shebao.kit.clock import format_local
from shebao.kit.money import format_yuan

ops_app = typer.Typer(help="运维与核对：重复缴费待退款、对账差异", no_args_is_help=True)


@ops_app.command("refunds")
def refunds(
    status: str = typer.Option(
        "open",
        help="open（未完成的：待退款、待审核、退款处理中、退款失败）| all | pending | proposed | sending | "
        "succeeded | failed",
    ),
) -> None:
    """列出退费（重复缴费等待原路退回的款项），按状态筛选。"""
    from shebao.commands import cli_runtime
    from shebao.identity.models import Person
    from shebao.payments.models import Payment
    from shebao.payments.refunds import STATUS_LABELS, SUCCEEDED, Refund

    if status not in ("open", "all", *STATUS_LABELS):
        typer.echo(f"状态不正确：{status}", err=True)
        raise typer.Exit(2)
    with cli_runtime() as runtime, runtime.work().read() as session:
        query = select(Refund, Payment).join(Payment, Payment.id == Refund.payment_id)
        if status == "open":
            query = query.where(Refund.status != SUCCEEDED)
        elif status != "all":
            query = query.where(Refund.status == status)
        found = list(session.execute(query.order_by(Refund.created_at, Refund.id)))
        for refund, payment in found:
            person = session.get(Person, payment.person_id)
            who = f"{person.masked_name} {person.masked_id_number}" if person else ""
            typer.echo(
                f"{format_local(refund.created_at)}  {STATUS_LABELS[refund.status]}  {payment.method_label}  "
                f"{payment.out_trade_no}  {format_yuan(refund.amount_fen)}  {who}  退费 {refund.id}"
            )
        typer.echo(f"退费 {len(found)} 笔")


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
