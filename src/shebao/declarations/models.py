"""A declaration fixes what is paid: its items, its total and its payment deadline (缴款期限)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import ClassVar, Final

from sqlalchemy import BigInteger, ColumnElement, Date, ForeignKey, Index, String, Uuid, and_
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shebao.db import Base, UTCDateTime
from shebao.identity.access import Guard
from shebao.kit.ids import new_id

PROCESSING: Final = "processing"
SUCCEEDED: Final = "succeeded"
VOIDED: Final = "voided"
FAILED: Final = "failed"
STATUS_LABELS: Final = {PROCESSING: "申报处理中", SUCCEEDED: "申报成功", VOIDED: "已作废", FAILED: "申报失败"}
STATUS_TAGS: Final = {PROCESSING: "orange", SUCCEEDED: "green", VOIDED: "grey", FAILED: "red"}

UNPAID: Final = "unpaid"
PAID: Final = "paid"

NORMAL: Final = "normal"
BACK_PAYMENT: Final = "back_payment"
KIND_LABELS: Final = {NORMAL: "正常缴费", BACK_PAYMENT: "补缴"}


class Declaration(Base):
    __tablename__ = "declarations"
    __table_args__ = (
        Index(None, "person_id", "declared_at"),
        Index(None, "declared_by_id", "declared_at"),
    )
    # Who may see it (identity/access.py): the insured person, the declarer, and a member's payer while owed.
    access: ClassVar[Guard] = Guard(person="person_id", actor="declared_by_id", owed="is_payable")

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"))  # the insured person
    declared_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"))  # the payer who declared
    scheme: Mapped[str] = mapped_column(String(24))
    kind: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16))
    tax_office_code: Mapped[str] = mapped_column(ForeignKey("tax_offices.code"))
    agency_code: Mapped[str] = mapped_column(ForeignKey("agencies.code"))
    period_start: Mapped[str] = mapped_column(String(7))
    period_end: Mapped[str] = mapped_column(String(7))
    total_fen: Mapped[int] = mapped_column(BigInteger)
    late_fee_fen: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16))
    payment_status: Mapped[str] = mapped_column(String(8), default=UNPAID)
    deadline: Mapped[date] = mapped_column(Date)  # 缴款期限, inclusive, Asia/Shanghai
    failure_reason: Mapped[str | None] = mapped_column(String(200))
    declared_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    items: Mapped[list[DeclarationItem]] = relationship(
        back_populates="declaration", order_by="DeclarationItem.position", lazy="selectin"
    )

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]

    @hybrid_property
    def is_payable(self) -> bool:
        """Successful, unpaid: may be paid (until its deadline) or voided."""
        return self.status == SUCCEEDED and self.payment_status == UNPAID

    @is_payable.inplace.expression
    @classmethod
    def _is_payable_expression(cls) -> ColumnElement[bool]:
        return and_(cls.status == SUCCEEDED, cls.payment_status == UNPAID)


class DeclarationItem(Base):
    """One declared payable, with the amounts the declaration fixed."""

    __tablename__ = "declaration_items"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    declaration_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("declarations.id"), index=True)
    payable_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("payables.id"), index=True)
    position: Mapped[int] = mapped_column(BigInteger)
    levy_item: Mapped[str] = mapped_column(String(32))
    insurance_type: Mapped[str | None] = mapped_column(String(16))
    period_start: Mapped[str] = mapped_column(String(7))
    period_end: Mapped[str] = mapped_column(String(7))
    base_amount_fen: Mapped[int] = mapped_column(BigInteger)
    late_fee_fen: Mapped[int] = mapped_column(BigInteger)
    amount_fen: Mapped[int] = mapped_column(BigInteger)

    declaration: Mapped[Declaration] = relationship(back_populates="items")
