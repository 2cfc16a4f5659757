"""Typed ids of paths and queries: a malformed id is a 422 naming the field, before any handler runs."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Path, Query

from shebao.kit.ids import OptionalId

DeclarationID = Annotated[uuid.UUID, Path(description="申报编号（申报的 id）")]
PaymentID = Annotated[uuid.UUID, Path(description="缴款编号（缴款的 id）")]
AgreementID = Annotated[uuid.UUID, Path(description="协议编号（缴费协议的 id）")]
CertificateID = Annotated[uuid.UUID, Path(description="证明编号（缴费证明的 id）")]
RefundID = Annotated[uuid.UUID, Path(description="退费编号（退费的 id）")]
SettingID = Annotated[uuid.UUID, Path(description="缴费金额设置编号（缴费金额设置的 id）")]
FamilyID = Annotated[uuid.UUID, Path(description="家庭成员编号（GET /api/v1/family 的 id）")]
VerificationID = Annotated[
    uuid.UUID, Path(description="认证编号（POST /api/v1/auth/login 的 verification_id）")
]
PayerFilter = Annotated[OptionalId, Query(description="家庭成员的 id（GET /api/v1/family）；不填：本人")]
