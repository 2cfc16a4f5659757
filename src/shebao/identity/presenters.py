"""Person and family views for the API and the pages: always masked."""

from __future__ import annotations

from sqlalchemy.orm import Session

from shebao.identity import schemas
from shebao.identity.access import ALL_CHOICE
from shebao.identity.deps import Principal
from shebao.identity.documents import ID_TYPE_LABELS, IdType
from shebao.identity.family import RELATIONS
from shebao.identity.models import FamilyMember, Person
from shebao.identity.repository import FamilyRepository
from shebao.kit.masking import mask_id_number
from shebao.runtime import Runtime


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


def person_view(person: Person) -> dict[str, str]:
    """姓名, 证件类型, 证件号码 as the pages show a person: masked."""
    return {
        "name": person.masked_name,
        "id_type": id_type_label(person.id_type),
        "id_number": person.masked_id_number,
    }


def whom_choices(
    runtime: Runtime, session: Session, payer: Principal, *, everyone: bool = False
) -> list[tuple[str, str]]:
    """本人 and each family member, as (payer_id, label) choices of a 缴费对象 / 查询对象 picker; a query's
    picker (`everyone`) offers 全部 too: everything the payer may see, family members' included."""
    from shebao.identity.family import FamilyService

    members = FamilyService(runtime, session, payer.person, channel=payer.channel).members()
    choices = [("", f"本人（{payer.person.masked_name}）")]
    if everyone and members:
        choices.append((ALL_CHOICE, "全部（本人及家庭成员）"))
    return choices + [
        (str(row.id), f"{person.masked_name}（{RELATIONS[row.relation]}）") for row, person in members
    ]
