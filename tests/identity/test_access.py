"""The one access rule (identity/access.py): its Python check, its SQL filter, and that the two agree."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from shebao.declarations.errors import DeclarationNotFound
from shebao.declarations.models import PAID, SUCCEEDED, UNPAID, VOIDED, Declaration
from shebao.declarations.service import DeclarationService
from shebao.errors import NotFound, ValidationFailed
from shebao.identity.access import EVERYTHING, MINE, SELF, Viewer, Whom
from shebao.identity.models import Consent, FamilyMember, Person
from shebao.payments.models import SUCCEEDED as PAYMENT_SUCCEEDED
from shebao.payments.models import Payment
from shebao.payments.repository import PaymentRepository
from shebao.runtime import Runtime
from tests.support.people import LI_SI, WANG_WU, ZHANG_SAN, make_person, transaction

ZHAO_LIU = ("赵六", "110101198001010010")
SUN_QI = ("孙七", "110102197505050026")

# A declaration's state as the rule reads it: owed (申报成功, 未缴款), paid, or voided.
STATES = {"owed": (SUCCEEDED, UNPAID), "paid": (SUCCEEDED, PAID), "voided": (VOIDED, UNPAID)}


@dataclass
class Small:
    """The payer, a member without consent, a consenting member, a stranger, and a removed member
    (whose consent is still live); every combination of whose / who declared / state, and a succeeded
    payment of every (whose, who paid)."""

    payer: Person
    member: Person
    consenting: Person
    stranger: Person
    removed: Person
    member_row: uuid.UUID
    consenting_row: uuid.UUID
    declarations: dict[tuple[str, str, str], uuid.UUID]  # (whose, declared by, state) → id
    payments: dict[tuple[str, str], uuid.UUID]  # (whose, paid by) → id


def _link(s: Session, payer: Person, member: Person, now: datetime, *, removed: bool = False) -> uuid.UUID:
    row = FamilyMember(
        payer_id=payer.id,
        member_id=member.id,
        relation="parent",
        created_at=now,
        removed_at=now if removed else None,
    )
    s.add(row)
    s.flush()
    return row.id


@pytest.fixture
def small(runtime: Runtime) -> Small:
    people = {
        "payer": make_person(runtime, *ZHANG_SAN),
        "member": make_person(runtime, *LI_SI, phone="13900001111"),
        "consenting": make_person(runtime, *WANG_WU, phone="13700002222"),
        "stranger": make_person(runtime, *ZHAO_LIU, phone="13600003333"),
        "removed": make_person(runtime, *SUN_QI, phone="13500004444"),
    }
    now = runtime.clock.now()
    declarations: dict[tuple[str, str, str], uuid.UUID] = {}
    payments: dict[tuple[str, str], uuid.UUID] = {}
    with transaction(runtime) as s:
        payer = people["payer"]
        member_row = _link(s, payer, people["member"], now)
        consenting_row = _link(s, payer, people["consenting"], now)
        _link(s, payer, people["removed"], now, removed=True)
        for giver in ("consenting", "removed"):
            s.add(Consent(member_id=people[giver].id, payer_id=payer.id, granted_at=now))
        for whose, by, state in itertools.product(people, ("self", "payer", "stranger"), STATES):
            declared_by = people[whose] if by == "self" else people[by]
            status, payment_status = STATES[state]
            found = Declaration(
                person_id=people[whose].id,
                declared_by_id=declared_by.id,
                scheme="resident_medical",
                kind="normal",
                channel="h5",
                tax_office_code="11101020001",
                agency_code="SB110102",
                period_start="2026-01",
                period_end="2026-12",
                total_fen=79500,
                late_fee_fen=0,
                status=status,
                payment_status=payment_status,
                deadline=date(2026, 12, 31),
                declared_at=now,
            )
            s.add(found)
            s.flush()
            declarations[(whose, by, state)] = found.id
        for number, (whose, by) in enumerate(itertools.product(people, ("self", "payer", "stranger"))):
            paid_by = people[whose] if by == "self" else people[by]
            payment = Payment(
                declaration_id=declarations[(whose, by, "paid")],
                payer_id=paid_by.id,
                person_id=people[whose].id,
                method="alipay",
                channel="h5",
                out_trade_no=f"SBTEST{number:04d}",
                amount_fen=79500,
                status=PAYMENT_SUCCEEDED,
                created_at=now,
                updated_at=now,
                expires_at=now + timedelta(hours=2),
                succeeded_at=now,
            )
            s.add(payment)
            s.flush()
            payments[(whose, by)] = payment.id
    return Small(
        **people,
        member_row=member_row,
        consenting_row=consenting_row,
        declarations=declarations,
        payments=payments,
    )  # type: ignore[arg-type]


def _seen(s: Session, viewer: Viewer, small: Small) -> set[tuple[str, str, str]]:
    return {key for key, i in small.declarations.items() if viewer.may_see(s.get_one(Declaration, i))}


def test_a_payer_sees_their_own_what_members_owe_what_they_did_and_consented_records(
    runtime: Runtime, small: Small
) -> None:
    with runtime.db.session() as s:
        seen = _seen(s, Viewer.of(s, small.payer), small)
    expected = {("payer", by, state) for by in ("self", "payer", "stranger") for state in STATES}  # own
    expected |= {
        (whose, "payer", state)
        for whose in ("member", "consenting", "stranger", "removed")
        for state in STATES
    }  # declared by the payer
    expected |= {("member", by, "owed") for by in ("self", "stranger")}  # a member owes it: to pay it
    expected |= {("consenting", by, state) for by in ("self", "stranger") for state in STATES}  # consent
    assert seen == expected
    # Without consent a member's paid or voided declarations stay hidden, so do a stranger's, and a
    # removed member's despite the consent row left behind.
    assert ("member", "self", "paid") not in seen and ("member", "stranger", "voided") not in seen
    assert not any(
        key in seen for key in small.declarations if key[0] in ("stranger", "removed") and key[1] != "payer"
    )


def test_payments_seen_are_ones_own_those_made_and_a_consenting_members(
    runtime: Runtime, small: Small
) -> None:
    with runtime.db.session() as s:
        viewer = Viewer.of(s, small.payer)
        seen = {key for key, i in small.payments.items() if viewer.may_see(s.get_one(Payment, i))}
        assert seen == (
            {("payer", by) for by in ("self", "payer", "stranger")}
            | {(whose, "payer") for whose in ("member", "consenting", "stranger", "removed")}
            | {("consenting", "self"), ("consenting", "stranger")}
        )
        # The repository's look-up answers None (a 404) for the rest.
        hidden = small.payments[("member", "self")]
        assert PaymentRepository(s).seen_by(viewer, hidden) is None
        assert PaymentRepository(s).seen_by(viewer, small.payments[("member", "payer")]) is not None


def test_a_stranger_and_a_member_see_only_their_own_and_what_they_did(runtime: Runtime, small: Small) -> None:
    with runtime.db.session() as s:
        stranger = _seen(s, Viewer.of(s, small.stranger), small)
        member = _seen(s, Viewer.of(s, small.member), small)
    assert stranger == {k for k in small.declarations if k[0] == "stranger" or k[1] == "stranger"}
    # Li is Zhang's member, not the other way round: she sees nothing of his.
    assert member == {k for k in small.declarations if k[0] == "member"}


def test_the_declaration_service_answers_404_for_what_the_rule_hides(runtime: Runtime, small: Small) -> None:
    with runtime.db.session() as s:
        service = DeclarationService(runtime, s, small.payer, channel="h5")
        assert service.get(small.declarations[("member", "self", "owed")]).person_id == small.member.id
        for hidden in [("member", "self", "paid"), ("stranger", "self", "owed"), ("removed", "self", "paid")]:
            with pytest.raises(DeclarationNotFound):
                service.get(small.declarations[hidden])
        stranger = DeclarationService(runtime, s, small.stranger, channel="h5")
        with pytest.raises(DeclarationNotFound):
            stranger.get(small.declarations[("payer", "self", "owed")])


def test_consent_counts_only_for_a_live_family_member_and_ids_are_family_rows(
    runtime: Runtime, small: Small
) -> None:
    with runtime.db.session() as s:
        viewer = Viewer.of(s, small.payer)
        assert viewer.has_consent(small.consenting.id) and viewer.has_consent(small.payer.id)
        assert not viewer.has_consent(small.member.id) and not viewer.has_consent(small.removed.id)
        assert viewer.whom(None) == SELF and viewer.whom("", default=MINE) == MINE
        assert viewer.whom("all") == EVERYTHING
        assert viewer.whom(str(small.member_row)) == Whom("member", small.member.id)
        for bad in [str(small.member.id), str(uuid.uuid4())]:  # a person id is not a family row
            with pytest.raises(NotFound):
                viewer.whom(bad)
        with pytest.raises(ValidationFailed):  # not an id at all: a 422 naming the field
            viewer.whom("someone")
        with pytest.raises(NotFound):
            Viewer.of(s, small.stranger).whom(str(small.member_row))


@pytest.mark.parametrize("who", ["payer", "member", "consenting", "stranger", "removed"])
def test_the_sql_filter_and_the_python_check_agree(runtime: Runtime, small: Small, who: str) -> None:
    with runtime.db.session() as s:
        viewer = Viewer.of(s, getattr(small, who))
        choices = [SELF, MINE] + [viewer.whom(str(row)) for row in viewer.members]
        for entity in (Declaration, Payment):
            rows = list(s.scalars(select(entity)))
            allowed = {row.id for row in rows if viewer.may_see(row)}
            assert set(s.scalars(select(entity.id).where(viewer.where(entity)))) == allowed
            union: set[uuid.UUID] = set()  # 本人, the API's default and each member: together 全部
            for whom in choices:
                picked = set(s.scalars(select(entity.id).where(viewer.where(entity, whom))))
                assert picked <= allowed, (entity, whom)
                if whom == SELF:
                    assert picked == {r.id for r in rows if r.person_id == viewer.payer_id}
                if whom.member is not None:
                    assert picked == {r.id for r in rows if r.id in allowed and r.person_id == whom.member}
                union |= picked
            assert union == allowed
