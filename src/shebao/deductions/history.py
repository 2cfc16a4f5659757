"""The deductions made by a setting, newest first (filled by the batch deduction)."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from shebao.deductions import schemas


def deductions_of(session: Session, setting_id: uuid.UUID) -> list[schemas.Deduction]:
    return []
