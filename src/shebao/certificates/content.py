"""What a certificate says: built once at generation, printed into the PDF, shown on verification."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Item:
    levy_item: str  # 险种/征收项目
    period_start: str
    period_end: str
    amount_fen: int  # late fee included
    paid_on: str  # 缴款日期 YYYY-MM-DD, Asia/Shanghai
    eticket_no: str
    channel: str  # 缴费渠道, as the payer knows it

    @property
    def period(self) -> str:
        return (
            self.period_start
            if self.period_start == self.period_end
            else f"{self.period_start}至{self.period_end}"
        )


@dataclass(frozen=True)
class Content:
    certificate_no: str
    name: str
    taxpayer_id: str
    id_type: str  # 证件类型, as printed
    tax_office: str  # 税务机关
    scheme: str  # 险种, as printed
    period_from: str
    period_to: str
    issued_on: str  # YYYY-MM-DD
    total_fen: int
    total_in_words: str
    verification_code: str
    verify_url: str
    items: list[Item] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Content:
        data: dict[str, Any] = json.loads(text)
        data["items"] = [Item(**item) for item in data["items"]]
        return cls(**data)
