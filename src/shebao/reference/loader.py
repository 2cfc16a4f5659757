"""Load the packaged catalog into the reference tables: idempotent, run by `shebao db upgrade`."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from sqlalchemy.orm import Session

from shebao.reference import models
from shebao.reference.catalog import load_catalog


def _upsert(session: Session, model: type[Any], rows: list[dict[str, Any]]) -> int:
    changed = 0
    columns = {column.key for column in model.__table__.columns}
    for row in rows:
        values = {key: value for key, value in row.items() if key in columns}
        existing = session.get(model, values["code"])
        if existing is None:
            session.add(model(**values))
            changed += 1
            continue
        for key, value in values.items():
            if getattr(existing, key) != value:
                setattr(existing, key, value)
                changed += 1
    session.flush()
    return changed


def load_reference_data(session: Session) -> int:
    """Insert or update every reference row; answers how many rows or fields changed."""
    catalog = load_catalog()
    changed = _upsert(session, models.Region, [asdict(r) for r in catalog.regions])
    changed += _upsert(session, models.TaxOffice, [asdict(t) for t in catalog.tax_offices])
    changed += _upsert(session, models.Agency, [asdict(a) for a in catalog.agencies])
    changed += _upsert(session, models.Bank, [asdict(b) for b in catalog.banks])
    changed += _upsert(session, models.BankBranch, [asdict(b) for b in catalog.branches])
    return changed
