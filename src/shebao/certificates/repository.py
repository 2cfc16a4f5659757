"""Queries of the certificates package: the paid items a certificate holds, requests, claims, captchas."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.orm import Session

from shebao.certificates.models import GENERATING, Captcha, Certificate, CertificateFile, RenderFault
from shebao.declarations.models import Declaration
from shebao.enrolment.models import Enrolment
from shebao.kit.pagination import PageRequest, desc, fetch_scalars
from shebao.payments.models import SUCCEEDED, Payment


class CertificateRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def paid(
        self,
        person_id: uuid.UUID,
        visible: ColumnElement[bool],
        scheme: str,
        period_from: str,
        period_to: str,
    ) -> list[tuple[Payment, Declaration]]:
        """One insured person's succeeded payments of one scheme whose fee periods overlap the range,
        whatever the channel (payments made elsewhere included), among those `visible` (the access
        rule's SQL filter); never a duplicate (to refund or refunded) or an unpaid one. Read through
        `ix_payments_person_id_status_succeeded_at`, oldest first."""
        query = (
            select(Payment, Declaration)
            .join(Declaration, Declaration.id == Payment.declaration_id)
            .where(
                Payment.person_id == person_id,
                visible,
                Payment.status == SUCCEEDED,
                Payment.duplicate.is_(False),
                Payment.refund_status.is_(None),
                Declaration.person_id == person_id,
                Declaration.scheme == scheme,
                Declaration.period_end >= period_from,
                Declaration.period_start <= period_to,
            )
            .order_by(Declaration.period_start, Payment.succeeded_at, Payment.id)
        )
        return [(payment, declaration) for payment, declaration in self.session.execute(query).tuples()]

    def enrolled(self, person_id: uuid.UUID, scheme: str) -> bool:
        query = select(Enrolment.id).where(Enrolment.person_id == person_id, Enrolment.scheme == scheme)
        return self.session.scalars(query.limit(1)).first() is not None

    def get(self, certificate_id: uuid.UUID) -> Certificate | None:
        return self.session.get(Certificate, certificate_id)

    def generating_same(
        self, requested_by: uuid.UUID, person_id: uuid.UUID, scheme: str, period_from: str, period_to: str
    ) -> Certificate | None:
        query = select(Certificate).where(
            Certificate.requested_by_id == requested_by,
            Certificate.person_id == person_id,
            Certificate.scheme == scheme,
            Certificate.period_from == period_from,
            Certificate.period_to == period_to,
            Certificate.status == GENERATING,
        )
        return self.session.scalars(query).first()

    def listed(
        self,
        visible: ColumnElement[bool],
        applied_from: datetime | None,
        applied_to: datetime | None,
        page: PageRequest | None = None,
    ) -> tuple[list[Certificate], str | None]:
        """Newest first, and the cursor of the next page (all of them, and no cursor, without `page`)."""
        query = select(Certificate).where(visible)
        if applied_from is not None:
            query = query.where(Certificate.applied_at >= applied_from)
        if applied_to is not None:
            query = query.where(Certificate.applied_at < applied_to)
        order = (desc(Certificate.applied_at), desc(Certificate.id))
        return fetch_scalars(self.session, query, order, page)

    def file(self, certificate_id: uuid.UUID) -> CertificateFile | None:
        return self.session.get(CertificateFile, certificate_id)

    def by_verification_index(self, index: str) -> Certificate | None:
        return self.session.scalars(
            select(Certificate).where(Certificate.verification_index == index)
        ).first()

    def claim(self, certificate_id: uuid.UUID, token: str, now: datetime, stale_before: datetime) -> bool:
        """Take the generation of a generating request unless a live worker holds it: one atomic
        UPDATE, so of two workers exactly one wins."""
        result = self.session.execute(
            update(Certificate)
            .where(
                Certificate.id == certificate_id,
                Certificate.status == GENERATING,
                or_(Certificate.claimed_at.is_(None), Certificate.claimed_at < stale_before),
            )
            .values(claimed_at=now, claim_token=token, attempts=Certificate.attempts + 1)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0) == 1)

    def holding(self, certificate_id: uuid.UUID, token: str) -> Certificate | None:
        """The request, locked, if this worker's claim still stands (else a newer worker owns it)."""
        query = (
            select(Certificate)
            .where(
                Certificate.id == certificate_id,
                Certificate.status == GENERATING,
                Certificate.claim_token == token,
            )
            .with_for_update()
        )
        return self.session.scalars(query).first()

    def stale(self, unclaimed_before: datetime, stale_before: datetime, limit: int = 100) -> list[uuid.UUID]:
        """Generating requests nobody works on: never claimed for a while (the task was lost), or
        claimed by a worker whose lease ran out (it died)."""
        query = (
            select(Certificate.id)
            .where(
                Certificate.status == GENERATING,
                or_(
                    and_(Certificate.claimed_at.is_(None), Certificate.applied_at < unclaimed_before),
                    Certificate.claimed_at < stale_before,
                ),
            )
            .order_by(Certificate.applied_at)
            .limit(limit)
        )
        return list(self.session.scalars(query))

    def take_render_fault(self) -> bool:
        """Sandbox: consume one injected renderer fault, if any is left."""
        result = self.session.execute(
            update(RenderFault)
            .where(RenderFault.id == 1, RenderFault.remaining > 0)
            .values(remaining=RenderFault.remaining - 1)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0) == 1)

    def set_render_faults(self, count: int) -> None:
        row = self.session.get(RenderFault, 1, with_for_update=True)
        if row is None:
            self.session.add(RenderFault(id=1, remaining=count))
        else:
            row.remaining = count
        self.session.flush()

    def captcha_for_update(self, captcha_id: uuid.UUID) -> Captcha | None:
        return self.session.scalars(select(Captcha).where(Captcha.id == captcha_id).with_for_update()).first()
