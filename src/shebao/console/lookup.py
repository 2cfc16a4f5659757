"""Payer look-up (缴费人查询) and reveal (查看完整信息): the rules, each access written to the audit log.

The audit log is the PIPL access log of the console (docs/decisions/0019): every look-up (found or not),
every view of a payer's page and every reveal is a row with the operator, the payer (the person's id;
for a number that found no one, a keyed index of the number), what was shown, the reason and the time.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from shebao.audit.service import Actor, record
from shebao.console.dossier import SEARCH_OBJECT, Dossier, DossierRepository, search_index
from shebao.console.scope import OfficeScope
from shebao.errors import NotFound, ValidationFailed
from shebao.identity.documents import ID_TYPE_LABELS, IdType, normalize
from shebao.identity.models import Person
from shebao.logging import mask_text

LOOKUP = "console.payer_lookup"
VIEW = "console.payer_view"
REVEAL = "console.payer_reveal"
REVEALED_FIELDS = ("name", "id_number", "phone")

# Every document type's number, normalised (half-width, no spaces, upper case): 5 to 18 letters or digits.
_NUMBER = re.compile(r"[0-9A-Z]{5,18}")
REASON_MAX = 200


class PayerNotFound(NotFound):
    code = "payer_not_found"
    message = "未找到该缴费人，请核对证件号码（及姓名）"


class BadIdNumber(ValidationFailed):
    code = "bad_id_number"
    message = "证件号码格式不正确：应为 5 至 18 位数字或字母"


class AmbiguousIdNumber(ValidationFailed):
    code = "ambiguous_id_number"
    message = "该证件号码对应多种证件类型，请同时选择证件类型"


class ReasonMissing(ValidationFailed):
    code = "reason_missing"
    message = "请填写查看完整信息的原因"


def id_number_of(raw: str) -> str:
    """The number as typed, normalised; a 422 naming the field when it cannot be any document's number."""
    number = normalize(IdType.RESIDENT_ID, raw)
    if not _NUMBER.fullmatch(number):
        raise BadIdNumber(fields={"id_number": BadIdNumber.message})
    return number


def reason_of(raw: str) -> str:
    """A reveal's reason, trimmed; personal numbers typed into it are masked as in the logs."""
    reason = " ".join(raw.split())
    if not reason:
        raise ReasonMissing(fields={"reason": ReasonMissing.message})
    if len(reason) > REASON_MAX:
        raise ValidationFailed(
            f"原因不能超过 {REASON_MAX} 个字", fields={"reason": f"不超过 {REASON_MAX} 个字"}
        )
    return mask_text(reason)


@dataclass(frozen=True)
class Revealed:
    person_id: uuid.UUID
    name: str
    id_type: str
    id_type_label: str
    id_number: str
    phone: str | None


class PayerLookup:
    """What an operator (`actor`, within `scope`) may find and see of a payer; each access audited."""

    def __init__(self, session: Session, scope: OfficeScope, actor: Actor, *, now: datetime) -> None:
        self.session = session
        self.actor = actor
        self.now = now
        self.dossiers = DossierRepository(session, scope)

    def find(self, id_number: str, *, name: str | None = None, id_type: IdType | None = None) -> Dossier:
        """The payer with this document number (and name, when given), with their dossier.

        Unknown, another office's and a name that does not match are the same 404, and a counted one:
        the search is in the audit log even though nothing was found."""
        number = id_number_of(id_number)
        persons = self.dossiers.find(number)
        if id_type is not None:
            persons = [p for p in persons if p.id_type == id_type]
        if name is not None:
            persons = [p for p in persons if p.name == "".join(name.split())]
        by = "name+id_number" if name is not None else "id_number"
        if not persons:
            self._audit(LOOKUP, SEARCH_OBJECT, search_index(number), {"by": by, "found": False})
            raise PayerNotFound().counted()
        if len(persons) > 1:
            raise AmbiguousIdNumber(fields={"id_type": AmbiguousIdNumber.message})
        [person] = persons
        self._audit(LOOKUP, "person", person.id, {"by": by, "found": True})
        return self.dossiers.gather(person)

    def view(self, person_id: uuid.UUID) -> Dossier:
        person = self._person(person_id)
        self._audit(VIEW, "person", person.id, None)
        return self.dossiers.gather(person)

    def reveal(self, person_id: uuid.UUID, reason: str) -> Revealed:
        """The payer's name, document number and phone in full; the reason and the fields shown audited."""
        return self._reveal(self._person(person_id), reason)

    def reveal_on_record(self, person_id: uuid.UUID, reason: str) -> tuple[Revealed, Dossier]:
        """A reveal and the record it is shown on (the page's): one audit row, the reveal's."""
        person = self._person(person_id)
        return self._reveal(person, reason), self.dossiers.gather(person)

    def _reveal(self, person: Person, reason: str) -> Revealed:
        given = reason_of(reason)
        self._audit(REVEAL, "person", person.id, {"fields": list(REVEALED_FIELDS), "reason": given})
        return Revealed(
            person_id=person.id,
            name=person.name,
            id_type=person.id_type,
            id_type_label=ID_TYPE_LABELS.get(IdType(person.id_type), person.id_type),
            id_number=person.id_number,
            phone=person.phone,
        )

    def _person(self, person_id: uuid.UUID) -> Person:
        person = self.dossiers.get(person_id)
        if person is None:
            raise PayerNotFound("未找到该缴费人")
        return person

    def _audit(
        self, action: str, object_type: str, object_id: object, after: dict[str, object] | None
    ) -> None:
        record(
            self.session,
            actor=self.actor,
            action=action,
            object_type=object_type,
            object_id=object_id,
            at=self.now,
            after=after,
        )
