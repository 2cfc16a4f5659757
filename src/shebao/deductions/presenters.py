"""Contribution settings as the API and the pages show them (names from the catalog, numbers masked)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shebao.agreements.models import Agreement
from shebao.deductions import schemas
from shebao.deductions.history import deductions_of
from shebao.deductions.models import STATUS_TAGS, ContributionSetting
from shebao.enrolment.models import Enrolment
from shebao.enrolment.terms import RESIDENT_MEDICAL, scheme_label
from shebao.identity.models import Person
from shebao.kit.clock import to_shanghai
from shebao.policy import calc
from shebao.policy.tables import PolicyMissing, default_policy
from shebao.reference.catalog import load_catalog


def amount_fen(session: Session, setting: ContributionSetting) -> int | None:
    """The chosen pension amount, or the medical policy amount of the first covered year."""
    if setting.scheme != RESIDENT_MEDICAL:
        return setting.annual_amount_fen
    enrolment = session.scalars(
        select(Enrolment).where(
            Enrolment.person_id == setting.person_id, Enrolment.scheme == RESIDENT_MEDICAL
        )
    ).first()
    if enrolment is None or enrolment.category is None:
        return None
    try:
        return calc.resident_medical_amount(default_policy(), setting.valid_from, enrolment.category)
    except (PolicyMissing, calc.PolicyError):
        return None


def setting(session: Session, found: ContributionSetting, viewer: Person) -> schemas.ContributionSetting:
    agreement = session.get(Agreement, found.agreement_id)
    person = session.get(Person, found.person_id)
    bank = load_catalog().bank(agreement.bank_code) if agreement else None
    return schemas.ContributionSetting(
        id=str(found.id),
        status=found.status,
        status_label=found.status_label,
        scheme=found.scheme,
        scheme_label=scheme_label(found.scheme),
        person_name=person.masked_name if person else "",
        for_self=found.person_id == viewer.id,
        annual_amount_fen=amount_fen(session, found),
        agreement_id=str(found.agreement_id),
        agreement_no=agreement.agreement_no if agreement else "",
        bank_name=bank.name if bank else (agreement.bank_code if agreement else ""),
        account_no=agreement.masked_account if agreement else "",
        tax_office_code=found.tax_office_code,
        valid_from=found.valid_from,
        valid_to=found.valid_to,
        created_at=to_shanghai(found.created_at),
        voided_at=to_shanghai(found.voided_at) if found.voided_at else None,
        deductions=deductions_of(session, found.id),
    )


def cards(session: Session, found: Sequence[ContributionSetting], viewer: Person) -> list[dict[str, Any]]:
    """The pages' cards: the API view plus the tag colour and the last deduction."""
    result = []
    for one in found:
        view = setting(session, one, viewer)
        result.append(
            {
                "s": view,
                "tag": STATUS_TAGS[one.status],
                "last": view.deductions[0] if view.deductions else None,
            }
        )
    return result
