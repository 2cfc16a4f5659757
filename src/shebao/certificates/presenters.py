"""Certificates as the API and the pages show them; personal data masked."""

from __future__ import annotations

from shebao.certificates import schemas
from shebao.certificates.errors import CertificateInconsistent
from shebao.certificates.models import READY, Certificate
from shebao.certificates.verification import Verified
from shebao.enrolment.terms import scheme_label
from shebao.kit.clock import to_shanghai
from shebao.kit.masking import mask_name


def certificate(found: Certificate, *, api: bool = True) -> schemas.Certificate:
    ready = found.status == READY
    base = f"/api/v1/certificates/{found.id}" if api else f"/certificates/{found.id}"
    return schemas.Certificate(
        id=str(found.id),
        status=found.status,
        status_label=found.status_label,
        failure_reason=found.failure_reason,
        certificate_no=found.certificate_no,
        scheme=found.scheme,
        scheme_label=scheme_label(found.scheme),
        period_from=found.period_from,
        period_to=found.period_to,
        applied_at=to_shanghai(found.applied_at),
        issued_at=to_shanghai(found.issued_at) if found.issued_at else None,
        verification_code=found.verification_code if ready else None,
        total_fen=found.total_fen if ready else None,
        item_count=found.item_count if ready else None,
        pdf_url=f"{base}/pdf" if ready else None,
        image_url=f"/certificates/{found.id}/image.png" if ready else None,
    )


def verification(verified: Verified, pdf_url: str) -> schemas.Verification:
    content, found = verified.content, verified.certificate
    if found.issued_at is None:
        raise CertificateInconsistent("已制作的缴费证明没有开具时间")
    return schemas.Verification(
        certificate_no=content.certificate_no,
        name=mask_name(content.name),
        scheme=found.scheme,
        scheme_label=scheme_label(found.scheme),
        period_from=content.period_from,
        period_to=content.period_to,
        total_fen=content.total_fen,
        issued_at=to_shanghai(found.issued_at),
        tax_office=content.tax_office,
        items=[
            schemas.VerifiedItem(
                levy_item=i.levy_item,
                period_start=i.period_start,
                period_end=i.period_end,
                amount_fen=i.amount_fen,
                paid_on=i.paid_on,
                eticket_no=i.eticket_no,
                channel=i.channel,
            )
            for i in content.items
        ],
        pdf_url=pdf_url,
    )
