"""The dashboards' JSON (`/api/v1/console/dashboards/...`); each `.csv` export has its items' fields as
columns, in the order declared here (`exports.COLUMNS`)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from shebao.console.dashboards.figures import Dimension


class Figure(BaseModel):
    start: date = Field(description="开始日期（含，Asia/Shanghai）")
    end: date = Field(description="结束日期（含）")
    tax_office: str | None = Field(description="税务机关代码；null 为全部税务机关（仅管理员）")
    tax_office_name: str


class DailyCollection(BaseModel):
    day: date = Field(description="缴款成功的日期（Asia/Shanghai）")
    key: str = Field(description="险种、区划代码、缴费渠道或支付方式的代码")
    label: str
    count: int = Field(description="缴款成功的笔数")
    amount_fen: int = Field(description="缴款金额合计（分）")


class Collections(Figure):
    """每日缴款：缴款成功的缴款按日、按所选维度的笔数与金额（无缴款的日期不列）。"""

    by: Dimension
    items: list[DailyCollection]


class StatusTally(BaseModel):
    status: str = Field(description="created | pending | succeeded | failed | closed | unknown")
    label: str
    count: int
    amount_fen: int


class PaymentsByStatus(Figure):
    """所选日期内发起的缴款，按当前状态的笔数与金额。"""

    items: list[StatusTally]


class BatchOutcome(BaseModel):
    status: str = Field(description="planned | sent | succeeded | failed | cancelled")
    label: str
    reason: str | None = Field(description="扣款失败的原因（银行回盘），其他状态为 null")
    count: int
    amount_fen: int


class BatchOutcomes(Figure):
    """批扣日在所选日期内的扣款，按状态与失败原因的笔数与金额。"""

    items: list[BatchOutcome]
