"""Generation in the worker: 制作中 → 已完成 | 制作失败, made exactly once.

A worker claims a request with an atomic UPDATE (a lease of `LEASE`), reads what the certificate
holds, renders and signs it outside any transaction, then stores it only if its claim still stands.
A worker killed mid-generation leaves its claim to expire; the sweep hands the request to the next
worker, and a late finish by the first one finds its claim gone and stores nothing.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from shebao.audit.service import Actor, record
from shebao.certificates.ask import CertificateAsk, paid_for
from shebao.certificates.codes import new_verification_code
from shebao.certificates.content import Content, Item
from shebao.certificates.document import render_pdf
from shebao.certificates.errors import CertificateInconsistent, CertificateNotFound
from shebao.certificates.models import BUSY_REASON, FAILED, READY, Certificate, CertificateFile
from shebao.certificates.preview import render_png
from shebao.certificates.repository import CertificateRepository
from shebao.certificates.signing import material, sign
from shebao.certificates.verification import verification_index, verify_url
from shebao.db import UnitOfWork
from shebao.enrolment.models import Enrolment
from shebao.enrolment.terms import scheme_label
from shebao.identity.access import Viewer
from shebao.identity.models import Person
from shebao.identity.presenters import id_type_label
from shebao.kit.clock import to_shanghai
from shebao.kit.money import amount_in_words
from shebao.logging import log
from shebao.payments.models import CHANNEL_LABELS, Payment
from shebao.reference.models import TaxOffice
from shebao.runtime import Runtime

# 险种 as the certificate prints it: the fee's full name.
PRINTED_SCHEMES = {
    "resident_medical": "城乡居民基本医疗保险费",
    "resident_pension": "城乡居民基本养老保险费",
    "flexible_employment": "灵活就业人员社会保险费",
}
LEASE = timedelta(minutes=5)
UNCLAIMED_GRACE = timedelta(minutes=1)  # a request nobody claimed this long ago lost its task
Outcome = Literal["ready", "failed", "skipped", "lost"]


class RendererUnavailable(RuntimeError):
    """The sandbox's injected outage (POST /sandbox/certificates/fail-next)."""


@dataclass(frozen=True)
class Rendered:
    content: Content
    pdf: bytes
    png: bytes
    tax_office_code: str


def generate(runtime: Runtime, certificate_id: uuid.UUID) -> Outcome:
    token = secrets.token_hex(16)
    work = runtime.work()
    with work.step() as step:
        now = step.now
        repository = CertificateRepository(step.session)
        if not repository.claim(certificate_id, token, now, now - LEASE):
            return "skipped"  # ready, failed, or a live worker has it
        fault = runtime.settings.sandboxes_enabled and repository.take_render_fault()
    try:
        if fault:
            raise RendererUnavailable("sandbox: injected renderer outage")
        rendered = _render(runtime, work, certificate_id)
    except Exception:
        log.exception("certificate_generation_failed", certificate_id=str(certificate_id))
        return _fail(work, certificate_id, token)
    return _finish(work, certificate_id, token, rendered)


def _render(runtime: Runtime, work: UnitOfWork, certificate_id: uuid.UUID) -> Rendered:
    with work.read() as session:
        certificate = session.get(Certificate, certificate_id)
        if certificate is None:
            raise CertificateNotFound()
        content, office_code = _content(runtime, session, certificate)
    pdf = sign(
        render_pdf(content),
        material(runtime.settings),
        reason="社会保险费缴费证明",
        location=content.tax_office,
    )
    return Rendered(content=content, pdf=pdf, png=render_png(pdf), tax_office_code=office_code)


def _content(runtime: Runtime, session: Session, certificate: Certificate) -> tuple[Content, str]:
    applicant = session.get(Person, certificate.requested_by_id)
    if applicant is None:
        raise CertificateInconsistent("缴费证明的申请人不存在")
    ask = CertificateAsk(certificate.scheme, certificate.period_from, certificate.period_to)
    rows = paid_for(CertificateRepository(session), Viewer.of(session, applicant), certificate.person_id, ask)
    if not rows:
        raise RuntimeError("nothing paid any more")  # e.g. refunded since the request
    person = session.get(Person, certificate.person_id)
    if person is None:
        raise CertificateInconsistent("缴费证明的缴费人不存在")
    enrolment = session.scalars(
        select(Enrolment).where(Enrolment.person_id == person.id, Enrolment.scheme == certificate.scheme)
    ).first()
    office_code = enrolment.tax_office_code if enrolment else rows[-1][1].tax_office_code
    office = session.get(TaxOffice, office_code)
    items = [
        Item(
            levy_item=item.levy_item,
            period_start=item.period_start,
            period_end=item.period_end,
            amount_fen=item.amount_fen,
            paid_on=_paid_on(payment),
            eticket_no=payment.eticket_no or "",
            channel=_channel(payment),
        )
        for payment, declaration in rows
        for item in declaration.items
    ]
    total = sum(payment.amount_fen for payment, _ in rows)
    code = new_verification_code()
    content = Content(
        certificate_no=certificate.certificate_no,
        name=person.name,
        taxpayer_id=person.taxpayer_id,
        id_type=id_type_label(person.id_type),
        tax_office=office.full_name if office else office_code,
        scheme=PRINTED_SCHEMES.get(certificate.scheme, scheme_label(certificate.scheme)),
        period_from=certificate.period_from,
        period_to=certificate.period_to,
        issued_on=runtime.clock.today().isoformat(),
        total_fen=total,
        total_in_words=amount_in_words(total),
        verification_code=code,
        verify_url=verify_url(runtime.settings, person.taxpayer_id, code),
        items=items,
    )
    return content, office_code


def _paid_on(payment: Payment) -> str:
    if payment.succeeded_at is None:
        raise CertificateInconsistent("已缴款的缴款没有缴款时间")
    return to_shanghai(payment.succeeded_at).date().isoformat()


def _channel(payment: Payment) -> str:
    """缴费渠道 as the payer knows it: where, and how when paid here."""
    where = CHANNEL_LABELS.get(payment.channel, payment.channel)
    return where if payment.method == "elsewhere" else f"{where}（{payment.method_label}）"


def _finish(work: UnitOfWork, certificate_id: uuid.UUID, token: str, rendered: Rendered) -> Outcome:
    with work.step() as step:
        session, now = step.session, step.now
        certificate = CertificateRepository(session).holding(certificate_id, token)
        if certificate is None:
            return "lost"  # the lease ran out and another worker took over: keep its result only
        content = rendered.content
        certificate.status = READY
        certificate.issued_at = now
        certificate.total_fen = content.total_fen
        certificate.item_count = len(content.items)
        certificate.tax_office_code = rendered.tax_office_code
        certificate.verification_code = content.verification_code
        certificate.verification_index = verification_index(content.taxpayer_id, content.verification_code)
        certificate.content = content.to_json()
        certificate.claim_token = None
        session.add(
            CertificateFile(certificate_id=certificate.id, pdf=rendered.pdf, png=rendered.png, created_at=now)
        )
        _audit(session, certificate, "certificate.generated", now)
    return "ready"


def _fail(work: UnitOfWork, certificate_id: uuid.UUID, token: str) -> Outcome:
    with work.step() as step:
        session = step.session
        certificate = CertificateRepository(session).holding(certificate_id, token)
        if certificate is None:
            return "lost"
        certificate.status = FAILED
        certificate.failure_reason = BUSY_REASON
        certificate.claim_token = None
        _audit(session, certificate, "certificate.failed", step.now)
    return "failed"


def _audit(session: Session, certificate: Certificate, action: str, now: object) -> None:
    record(
        session,
        actor=Actor.system(),
        action=action,
        object_type="certificate",
        object_id=certificate.id,
        at=now,  # type: ignore[arg-type]
        before={"status": "generating"},
        after={
            "status": certificate.status,
            "failure_reason": certificate.failure_reason,
            "total_fen": certificate.total_fen,
            "item_count": certificate.item_count,
        },
    )


def sweep(runtime: Runtime) -> list[uuid.UUID]:
    """Generating requests nobody works on (a lost task, a killed worker): generate them again."""
    work = runtime.work()
    now = runtime.clock.now()
    with work.read() as session:
        stale = CertificateRepository(session).stale(now - UNCLAIMED_GRACE, now - LEASE)
    return stale
