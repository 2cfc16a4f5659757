"""One import of a CSV file (`shebao import enrolments|payments`, or an upload in the console)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Final

from sqlalchemy import JSON, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from shebao.db import Base, UTCDateTime
from shebao.kit.ids import new_id

ENROLMENTS: Final = "enrolments"  # 参保数据 from the agencies
PAYMENTS: Final = "payments"  # 其他渠道缴款 from the tax core
KINDS: Final = (ENROLMENTS, PAYMENTS)
KIND_LABELS: Final = {ENROLMENTS: "参保数据导入", PAYMENTS: "其他渠道缴款导入"}
ROW_LABELS: Final = {
    "imported": "导入",
    "updated": "更新",
    "applied": "入账",
    "duplicate": "重复缴费待退款",
    "unchanged": "未变",
    "rejected": "拒绝",
}
KEPT_REJECTIONS: Final = 1000  # the report keeps the first rejected rows; the counts are complete


class ImportRun(Base):
    """What one import read and did: its counts by row outcome and the first rejected rows with their
    reasons (reasons name columns, never a value: no personal data)."""

    __tablename__ = "import_runs"
    __table_args__ = (Index(None, "kind", "started_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(16))
    file_name: Mapped[str] = mapped_column(String(200))
    actor_id: Mapped[str | None] = mapped_column(String(64))
    channel: Mapped[str | None] = mapped_column(String(16))  # cli | console
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime)
    rows: Mapped[int] = mapped_column(Integer)
    rejected: Mapped[int] = mapped_column(Integer)
    counts: Mapped[dict[str, Any]] = mapped_column(JSON)  # row outcome → rows
    rejections: Mapped[list[Any]] = mapped_column(JSON)  # [[line, reason], …] in file order

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)
