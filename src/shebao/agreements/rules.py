"""The agreement rules that depend on time and on what is being paid."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from shebao.agreements.models import ACTIVE, PENDING, REJECTED, REVOKED, Agreement
from shebao.kit.clock import to_shanghai


def effective_from(signed_at: datetime) -> date:
    """签订成功 today, 已生效 from the next day: the day after signing, in Asia/Shanghai."""
    return to_shanghai(signed_at).date() + timedelta(days=1)


def status_on(agreement: Agreement, today: date) -> str:
    """The status as of `today` (service clock): a pending agreement whose day has come is active."""
    if (
        agreement.status == PENDING
        and agreement.effective_from is not None
        and today >= agreement.effective_from
    ):
        return ACTIVE
    return agreement.status


def unusable_reason(agreement: Agreement, tax_office_code: str, today: date) -> str | None:
    """Why the agreement cannot pay a declaration of this tax office today; None when it can."""
    status = status_on(agreement, today)
    if status == REVOKED:
        return "协议已撤销"
    if status == REJECTED:
        return "签约失败的协议不能使用"
    if status == PENDING:
        if agreement.effective_from is None:  # a pending agreement was signed with its date
            return "协议待生效"
        return f"协议待生效，{agreement.effective_from:%Y-%m-%d}起可用"
    if agreement.tax_office_code != tax_office_code:
        return "协议的税务机关与申报的主管税务机关不一致"
    return None
