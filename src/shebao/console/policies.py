"""政策参数 in the console, read-only: every record of the policy tables (schemes, years, amounts and ranges,
collection windows, bases, rates, rules) with its fee periods, its source and whether it was verified.
The tables are the same for every office: every staff member sees them."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from shebao.console.deps import AnyStaff
from shebao.console.policy_tables import PolicySection, sections
from shebao.policy.tables import default_policy
from shebao.web.templating import render

api = APIRouter(prefix="/api/v1/console/policies", tags=["console: policies"])
pages = APIRouter(include_in_schema=False)


class FigureOut(BaseModel):
    label: str
    value: str = Field(description="金额以元显示（¥1,234.56），费率以百分比")


class PolicyRecord(BaseModel):
    key: str = Field(description="缴费年度、基数年度或起始费款所属期")
    periods: str
    figures: list[FigureOut]
    source: str
    verified: bool = Field(description="是否已与官方文件核对")
    file: str


class Section(BaseModel):
    kind: str
    scheme: str
    title: str
    records: list[PolicyRecord]


class Policies(BaseModel):
    region: str
    unverified: int = Field(description="未核对的记录数")
    sections: list[Section]


def _section_out(section: PolicySection) -> Section:
    return Section(
        kind=section.kind,
        scheme=section.scheme,
        title=section.title,
        records=[
            PolicyRecord(
                key=row.key,
                periods=row.periods,
                figures=[FigureOut(label=label, value=value) for label, value in row.figures],
                source=row.source,
                verified=row.verified,
                file=row.file,
            )
            for row in section.rows
        ],
    )


def policies() -> Policies:
    tables = default_policy()
    return Policies(
        region=tables.region,
        unverified=len(tables.unverified()),
        sections=[_section_out(s) for s in sections(tables)],
    )


@api.get(
    "", response_model=Policies, summary="政策参数（只读）：各险种各年度的标准、缴费期、基数、费率及其来源"
)
def policies_api(staff: AnyStaff) -> Policies:
    return policies()


@pages.get("/console/policies", response_class=HTMLResponse)
def policies_page(request: Request, staff: AnyStaff) -> HTMLResponse:
    return render(request, "console/policies.html", {"title": "政策参数", "policy": policies()})


def include(app: FastAPI) -> None:
    app.include_router(api)
    app.include_router(pages)
