"""证明申请, 社保缴费证明下载 and 重新制作: the rules of a payer's certificate requests.

Whose payments a certificate may hold is the access rule of `identity/access.py` (`Viewer`): a
payer's own, and a family member's — all of them with the member's consent, else only what the payer
paid. The worker applies the same rule for the applicant when it makes the certificate.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shebao.audit.service import Actor, record
from shebao.certificates import errors
from shebao.certificates.ask import CertificateAsk, paid_for
from shebao.certificates.codes import new_certificate_no
from shebao.certificates.models import FAILED, GENERATING, READY, Certificate, CertificateFile
from shebao.certificates.repository import CertificateRepository
from shebao.certificates.tasks import generate_certificate_task
from shebao.db import after_commit
from shebao.enrolment.terms import scheme_label
from shebao.errors import ValidationFailed
from shebao.identity.access import MINE, Viewer
from shebao.identity.models import Person
from shebao.kit.clock import start_of_local_day, to_shanghai
from shebao.kit.pagination import PageRequest
from shebao.runtime import Runtime


@dataclass(frozen=True)
class PaidRecord:
    scheme_label: str
    period_start: str
    period_end: str
    amount_fen: int
    paid_at: datetime | None
    eticket_no: str
    levy_items: list[str]


def check_applied_range(applied_from: date | None, applied_to: date | None) -> None:
    if applied_from and applied_to and applied_from > applied_to:
        raise ValidationFailed("申请日期起不能晚于申请日期止", fields={"applied_to": "不能早于申请日期起"})


class CertificateService:
    def __init__(self, runtime: Runtime, session: Session, payer: Person, *, channel: str) -> None:
        self.runtime = runtime
        self.session = session
        self.payer = payer
        self.channel = channel
        self.repository = CertificateRepository(session)
        self.viewer = Viewer.of(session, payer)

    def _actor(self) -> Actor:
        return Actor(type="payer", id=str(self.payer.id), channel=self.channel)

    def insured(self, payer_id: str | uuid.UUID | None) -> uuid.UUID:
        """The insured person of a request: the payer, or a live family member (else 404)."""
        return self.viewer.member_person(payer_id) if payer_id else self.payer.id

    def paid(self, ask: CertificateAsk, payer_id: str | uuid.UUID | None) -> list[PaidRecord]:
        """What a certificate of this ask would hold (社保缴费证明打印's query result)."""
        rows = paid_for(self.repository, self.viewer, self.insured(payer_id), ask)
        return [
            PaidRecord(
                scheme_label=scheme_label(declaration.scheme),
                period_start=declaration.period_start,
                period_end=declaration.period_end,
                amount_fen=payment.amount_fen,
                paid_at=to_shanghai(payment.succeeded_at) if payment.succeeded_at else None,
                eticket_no=payment.eticket_no or "",
                levy_items=sorted({item.levy_item for item in declaration.items}),
            )
            for payment, declaration in rows
        ]

    def request(self, ask: CertificateAsk, payer_id: str | uuid.UUID | None) -> tuple[Certificate, bool]:
        """(the request, created?): asking again while the same one is generating answers that one."""
        if not self.runtime.settings.certificates_enabled:
            raise errors.CertificatesDisabled()
        person_id = self.insured(payer_id)
        if not self.repository.enrolled(person_id, ask.scheme):
            raise errors.SchemeNotEnrolled()
        if not paid_for(self.repository, self.viewer, person_id, ask):
            raise errors.NothingPaid()
        existing = self._generating(person_id, ask)
        if existing is not None:
            return existing, False
        now = self.runtime.clock.now()
        certificate = Certificate(
            certificate_no=new_certificate_no(self.runtime.clock.today()),
            requested_by_id=self.payer.id,
            person_id=person_id,
            scheme=ask.scheme,
            period_from=ask.period_from,
            period_to=ask.period_to,
            status=GENERATING,
            channel=self.channel,
            applied_at=now,
            attempts=0,
        )
        try:
            with self.session.begin_nested():
                self.session.add(certificate)
        except IntegrityError:
            # A concurrent identical request won the partial unique index: answer that one.
            raced = self._generating(person_id, ask)
            if raced is None:
                raise
            return raced, False
        self._audit("certificate.requested", certificate, before=None, now=now)
        self._generate_after_commit(certificate.id)
        return certificate, True

    def _generating(self, person_id: uuid.UUID, ask: CertificateAsk) -> Certificate | None:
        return self.repository.generating_same(
            self.payer.id, person_id, ask.scheme, ask.period_from, ask.period_to
        )

    def retry(self, certificate_id: uuid.UUID) -> Certificate:
        """重新制作: a failed request goes back to 制作中 and to the worker."""
        certificate = self.own(certificate_id)
        if certificate.status != FAILED:
            raise errors.NotRetryable()
        now = self.runtime.clock.now()
        before: dict[str, object] = {
            "status": certificate.status,
            "failure_reason": certificate.failure_reason,
        }
        certificate.status = GENERATING
        certificate.failure_reason = None
        certificate.claimed_at = None
        certificate.claim_token = None
        try:
            with self.session.begin_nested():
                self.session.flush()
        except IntegrityError:
            raise errors.NotRetryable("相同的缴费证明正在制作中，请稍后查看") from None
        self._audit("certificate.retried", certificate, before=before, now=now)
        self._generate_after_commit(certificate.id)
        return certificate

    def own(self, certificate_id: uuid.UUID) -> Certificate:
        """A certificate the access rule lets the payer see; anyone else's is a 404 (ids reveal nothing)."""
        certificate = self.repository.get(certificate_id)
        if certificate is None or not self.viewer.may_see(certificate):
            raise errors.CertificateNotFound()
        return certificate

    def list(
        self,
        applied_from: date | None,
        applied_to: date | None,
        payer_id: str | uuid.UUID | None = None,
        page: PageRequest | None = None,
    ) -> tuple[list[Certificate], str | None]:
        """By 申请日期: one's own and what one applied for others, or one family member's (`payer_id`)."""
        check_applied_range(applied_from, applied_to)
        whom = self.viewer.whom(payer_id, default=MINE)
        start = start_of_local_day(applied_from) if applied_from else None
        end = start_of_local_day(applied_to + timedelta(days=1)) if applied_to else None
        return self.repository.listed(self.viewer.where(Certificate, whom), start, end, page)

    def file(self, certificate_id: uuid.UUID) -> CertificateFile:
        certificate = self.own(certificate_id)
        found = self.repository.file(certificate.id) if certificate.status == READY else None
        if found is None:
            raise errors.CertificateNotReady()
        return found

    def _audit(
        self, action: str, certificate: Certificate, *, before: dict[str, object] | None, now: datetime
    ) -> None:
        record(
            self.session,
            actor=self._actor(),
            action=action,
            object_type="certificate",
            object_id=certificate.id,
            at=now,
            before=before,
            after={
                "status": certificate.status,
                "certificate_no": certificate.certificate_no,
                "scheme": certificate.scheme,
                "period_from": certificate.period_from,
                "period_to": certificate.period_to,
                "person_id": str(certificate.person_id),
            },
        )

    def _generate_after_commit(self, certificate_id: uuid.UUID) -> None:
        after_commit(self.session, lambda: generate_certificate_task(str(certificate_id)))
