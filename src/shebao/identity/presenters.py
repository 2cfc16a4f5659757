"""Person and family views for the API and the pages: always masked."""

from __future__ import annotations

from sqlalchemy.orm import Session

from shebao.identity import schemas
from shebao.identity.documents import ID_TYPE_LABELS, IdType
from shebao.identity.family import RELATIONS
from shebao.identity.models import FamilyMember, Person
from shebao.identity.repository import FamilyRepository
from shebao.kit.masking import mask_id_number


def id_type_label(code: str) -> str:
    try:
        return ID_TYPE_LABELS[IdType(code)]
    except ValueError:
        return code


def me(person: Person) -> schemas.Me:
    return schemas.Me(
        id=str(person.id),
        name=person.masked_name,
        id_type=person.id_type,
        id_type_label=id_type_label(person.id_type),
        id_number=person.masked_id_number,
        phone=person.masked_phone,
        taxpayer_id=mask_id_number(person.taxpayer_id),
    )


def family_member(session: Session, row: FamilyMember, member: Person) -> schemas.FamilyMemberOut:
    return schemas.FamilyMemberOut(
        id=str(row.id),
        name=member.masked_name,
        id_type=member.id_type,
        id_type_label=id_type_label(member.id_type),
        id_number=member.masked_id_number,
        relation=row.relation,
        relation_label=RELATIONS[row.relation],
        consent=FamilyRepository(session).consent(member.id, row.payer_id) is not None,
    )
