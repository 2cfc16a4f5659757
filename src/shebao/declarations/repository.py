"""Queries over declarations. Every path that pays or voids locks through `for_update`."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, lazyload

from shebao.declarations.models import Declaration, DeclarationItem
from shebao.identity.access import EVERYTHING, Viewer, Whom
from shebao.kit.pagination import PageRequest, desc, fetch_scalars
from shebao.payables.models import Payable


class DeclarationRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, declaration_id: uuid.UUID) -> Declaration | None:
        return self.session.get(Declaration, declaration_id)

    def for_update(self, declaration_id: uuid.UUID, *, items: bool = True) -> Declaration | None:
        """The declaration, row-locked (PostgreSQL) for a read-modify-write that touches money, and re-read:
        SELECT … FOR UPDATE does not refresh a copy this session loaded before the lock. `items=False`
        for a lock that needs the row only: its items are then read if and when asked for."""
        query = select(Declaration).where(Declaration.id == declaration_id).with_for_update()
        if not items:
            query = query.options(lazyload(Declaration.items))
        return self.session.scalars(query.execution_options(populate_existing=True)).first()

    def payables_for_update(self, payable_ids: Sequence[uuid.UUID]) -> list[Payable]:
        """Lock the payables in id order, so two declarers of overlapping sets never deadlock."""
        query = (
            select(Payable).where(Payable.id.in_(list(payable_ids))).order_by(Payable.id).with_for_update()
        )
        return list(self.session.scalars(query.execution_options(populate_existing=True)))

    def payables(self, payable_ids: Sequence[uuid.UUID]) -> list[Payable]:
        return list(self.session.scalars(select(Payable).where(Payable.id.in_(list(payable_ids)))))

    def items_for_payables(self, payable_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, DeclarationItem]:
        """The item of each payable's current declaration (amounts fixed when it was declared)."""
        if not payable_ids:
            return {}
        query = (
            select(DeclarationItem)
            .join(Payable, Payable.id == DeclarationItem.payable_id)
            .where(
                DeclarationItem.payable_id.in_(list(payable_ids)),
                DeclarationItem.declaration_id == Payable.declaration_id,
            )
        )
        return {item.payable_id: item for item in self.session.scalars(query)}

    def payables_of(self, declaration: Declaration) -> list[Payable]:
        query = select(Payable).where(Payable.declaration_id == declaration.id).order_by(Payable.id)
        locked = query.with_for_update().execution_options(populate_existing=True)
        return list(self.session.scalars(locked))

    def visible_to(
        self,
        viewer: Viewer,
        whom: Whom = EVERYTHING,
        *,
        scheme: str | None = None,
        declared_from: datetime | None = None,
        declared_before: datetime | None = None,
        page: PageRequest | None = None,
    ) -> tuple[list[Declaration], str | None]:
        """What `viewer` may see of `whom`'s declarations (identity/access.py), newest first, and the
        cursor of the next page (all of them, and no cursor, without `page`)."""
        query = select(Declaration).where(viewer.where(Declaration, whom))
        if scheme:
            query = query.where(Declaration.scheme == scheme)
        if declared_from is not None:
            query = query.where(Declaration.declared_at >= declared_from)
        if declared_before is not None:
            query = query.where(Declaration.declared_at < declared_before)
        return fetch_scalars(self.session, query, (desc(Declaration.declared_at), desc(Declaration.id)), page)
