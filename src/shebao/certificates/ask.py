"""What a certificate asks for (险种, 费款所属期起止) and which payments answer it.

Shared by the request (`service.py`) and the worker that makes the PDF (`generation.py`), so that the
worker does not reach back into the service that enqueues it.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date

from shebao.certificates.repository import CertificateRepository
from shebao.declarations.models import Declaration
from shebao.enrolment.terms import SCHEMES, scheme_label
from shebao.errors import ValidationFailed
from shebao.identity.access import SELF, Viewer, Whom
from shebao.payments.models import Payment

_PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
EARLIEST_YEAR = 1990  # no resident or flexible-employment fee in this system is older


@dataclass(frozen=True)
class CertificateAsk:
    scheme: str
    period_from: str
    period_to: str


def check_ask(scheme: str, period_from: str, period_to: str, today: date) -> CertificateAsk:
    """A scheme we know and a sensible fee-period range; every problem named in one 422."""
    fields: dict[str, str] = {}
    if scheme not in SCHEMES:
        fields["scheme"] = "请选择险种：" + "、".join(scheme_label(s) for s in SCHEMES)
    latest = today.year + 1
    for name, label, value in (
        ("period_from", "费款所属期起", period_from),
        ("period_to", "费款所属期止", period_to),
    ):
        match = _PERIOD.match(value or "")
        if match is None:
            fields[name] = f"{label}格式应为YYYY-MM，例如2025-01"
        elif not EARLIEST_YEAR <= int(match.group(1)) <= latest:
            fields[name] = f"{label}应在{EARLIEST_YEAR}年至{latest}年之间"
    if not fields and period_from > period_to:
        fields["period_to"] = "费款所属期止不能早于费款所属期起"
    if fields:
        raise ValidationFailed("；".join(fields.values()), fields=fields)
    return CertificateAsk(scheme, period_from, period_to)


def paid_for(
    repository: CertificateRepository, viewer: Viewer, person_id: uuid.UUID, ask: CertificateAsk
) -> list[tuple[Payment, Declaration]]:
    """What a certificate of `person_id` asked by `viewer` holds: the access rule decides whose."""
    whom = SELF if person_id == viewer.payer_id else Whom("member", person_id)
    return repository.paid(person_id, viewer.where(Payment, whom), ask.scheme, ask.period_from, ask.period_to)
