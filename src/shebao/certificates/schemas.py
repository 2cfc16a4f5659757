from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from shebao.kit.ids import OptionalId
from shebao.kit.pagination import Paged


class CertificateCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    scheme: str = Field(
        max_length=32, description="险种：resident_medical | resident_pension | flexible_employment"
    )
    period_from: str = Field(max_length=7, description="费款所属期起 YYYY-MM")
    period_to: str = Field(max_length=7, description="费款所属期止 YYYY-MM")
    payer_id: OptionalId = Field(default=None, description="家庭成员的 id（为家人开具）；缺省为本人")


class Certificate(BaseModel):
    id: str
    status: str = Field(description="generating 制作中 | ready 已完成 | failed 制作失败")
    status_label: str
    failure_reason: str | None = None
    certificate_no: str
    scheme: str
    scheme_label: str
    period_from: str
    period_to: str
    applied_at: datetime
    issued_at: datetime | None = None
    verification_code: str | None = Field(default=None, description="证明校验码（16位），制作完成后")
    total_fen: int | None = Field(default=None, description="合计（分），含滞纳金，制作完成后")
    item_count: int | None = None
    pdf_url: str | None = None
    image_url: str | None = None


class CertificateList(Paged):
    items: list[Certificate]


class Captcha(BaseModel):
    captcha_id: str
    image: str = Field(description="data:image/png;base64,…")


class VerificationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    taxpayer_id: str = Field(max_length=32, description="纳税人识别号")
    verification_code: str = Field(max_length=32, description="证明校验码（16位数字）")
    captcha_id: str = Field(max_length=64)
    captcha_answer: str = Field(max_length=16)


class VerifiedItem(BaseModel):
    levy_item: str
    period_start: str
    period_end: str
    amount_fen: int
    paid_on: str
    eticket_no: str
    channel: str


class Verification(BaseModel):
    certificate_no: str
    name: str = Field(description="缴费人姓名（脱敏）")
    scheme: str
    scheme_label: str
    period_from: str
    period_to: str
    total_fen: int
    issued_at: datetime
    tax_office: str
    items: list[VerifiedItem]
    pdf_url: str = Field(description="原始PDF，10分钟内有效")


class RenderFaults(BaseModel):
    model_config = ConfigDict(extra="forbid")
    count: int = Field(default=1, ge=0, le=1000, description="接下来多少次制作失败")
