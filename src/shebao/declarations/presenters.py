"""Declaration views for the API and the pages: personal data masked, offices by name."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from shebao.declarations import schemas
from shebao.declarations.models import Declaration
from shebao.enrolment.terms import scheme_label
from shebao.errors import Inconsistent
from shebao.identity.models import Person
from shebao.payables.schemas import Insured, Office
from shebao.policy import calc
from shebao.policy.tables import PolicyMissing, PolicyTables
from shebao.reference.models import Agency, TaxOffice
from shebao.web.forms import period_span

SHANGHAI = ZoneInfo("Asia/Shanghai")


def declaration(session: Session, found: Declaration) -> schemas.Declaration:
    person = session.get(Person, found.person_id)
    office = session.get(TaxOffice, found.tax_office_code)
    agency = session.get(Agency, found.agency_code)
    if person is None or office is None or agency is None:  # foreign keys hold them
        raise Inconsistent("申报缺少缴费人、税务机关或经办机构")
    return schemas.Declaration(
        id=str(found.id),
        status=found.status,
        status_label=found.status_label,
        payment_status=found.payment_status,
        kind=found.kind,
        kind_label=found.kind_label,
        scheme=found.scheme,
        scheme_label=scheme_label(found.scheme),
        channel=found.channel,
        insured=Insured(name=person.masked_name, id_type=person.id_type, id_number=person.masked_id_number),
        declared_for_other=found.declared_by_id != found.person_id,
        tax_office=Office(code=office.code, name=office.full_name),
        agency=Office(code=agency.code, name=agency.name),
        period_start=found.period_start,
        period_end=found.period_end,
        total_fen=found.total_fen,
        late_fee_fen=found.late_fee_fen,
        deadline=found.deadline,
        declared_at=found.declared_at.astimezone(SHANGHAI),
        voided_at=found.voided_at.astimezone(SHANGHAI) if found.voided_at else None,
        paid_at=found.paid_at.astimezone(SHANGHAI) if found.paid_at else None,
        failure_reason=found.failure_reason,
        items=[
            schemas.DeclarationItem(
                payable_id=str(item.payable_id),
                levy_item=item.levy_item,
                insurance_type=item.insurance_type,
                period_start=item.period_start,
                period_end=item.period_end,
                base_amount_fen=item.base_amount_fen,
                late_fee_fen=item.late_fee_fen,
                amount_fen=item.amount_fen,
            )
            for item in found.items
        ],
    )


def pension_choice(policy: PolicyTables, fee_year: int) -> dict[str, Any]:
    """The pension page's choice: the common amounts with the government subsidy of each, the range for
    其他金额, and the subsidy bands (`from:to:subsidy` in fen) the page's script shows live."""
    low, high = calc.pension_range(policy, fee_year)
    tiers = [
        (fen, calc.pension_subsidy_fen(policy, fee_year, fen))
        for fen in calc.pension_common_amounts(policy, fee_year)
    ]
    bands = ",".join(
        f"{t.from_fen}:{t.to_fen}:{t.subsidy_fen}" for t in policy.pension_subsidy(fee_year).tiers
    )
    return {"low": low, "high": high, "tiers": tiers, "bands": bands, "fee_year": fee_year}


def pension_subsidy(policy: PolicyTables, fee_year: int, amount_fen: int) -> int | None:
    """The subsidy of a chosen amount, None when the amount is outside the range (the page says why)."""
    try:
        return calc.pension_subsidy_fen(policy, fee_year, amount_fen)
    except (calc.PolicyError, PolicyMissing):
        return None


def flexible_groups(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """1.9 as a citizen reads it: what is declared and waiting for payment first, one card per declaration
    with its own 缴款; then what is still to declare, one card per 费款所属期 folding that month's insurance
    types. Rows are the fee page's (payable, amounts, office, agency)."""
    declared: dict[str, list[dict[str, Any]]] = {}
    months: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        payable = row["payable"]
        if payable.status == "declared" and payable.declaration_id:
            declared.setdefault(str(payable.declaration_id), []).append(row)
        elif payable.status == "to_declare":
            months.setdefault(payable.period_start, []).append(row)

    def month_cards(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        by_month: dict[str, list[dict[str, Any]]] = {}
        for row in items:
            by_month.setdefault(row["payable"].period_start, []).append(row)
        return [_month(period, by_month[period]) for period in sorted(by_month)]

    waiting = []
    for declaration_id, items in declared.items():
        cards = month_cards(items)
        waiting.append(
            {
                "declaration_id": declaration_id,
                "period": period_span(cards[0]["period"], cards[-1]["period"]),
                "months": cards,
                "total_fen": sum(m["total_fen"] for m in cards),
                "late_fee_fen": sum(m["late_fee_fen"] for m in cards),
            }
        )
    waiting.sort(key=lambda d: d["period"])
    return {"waiting": waiting, "to_declare": [_month(p, months[p]) for p in sorted(months)]}


def _month(period: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "period": period,
        "ids": ",".join(str(row["payable"].id) for row in items),
        "entries": items,
        "total_fen": sum(row["amount_fen"] for row in items),
        "late_fee_fen": sum(row["late_fee_fen"] for row in items),
        "offices": sorted({row["tax_office"] for row in items}),
        "agencies": sorted({row["agency"] for row in items}),
    }
