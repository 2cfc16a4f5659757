"""The demo payers: every scheme, category and state, families, usable identities."""

from __future__ import annotations

from collections import Counter

from fastapi.testclient import TestClient
from sqlalchemy import select

from shebao.agency.demo import FAMILY, PAYERS
from shebao.cli import DEMO_CLOCK
from shebao.demo import load_demo
from shebao.enrolment.models import Enrolment
from shebao.identity.documents import validate
from shebao.identity.models import FamilyMember, Person
from shebao.payables.models import Payable
from shebao.runtime import Runtime
from tests.support.people import bearer_for


def test_demo_payers(runtime: Runtime, set_now, client: TestClient) -> None:  # type: ignore[no-untyped-def]
    set_now(DEMO_CLOCK)
    summary = load_demo(runtime)
    text = "\n".join(summary.lines)
    for payer in PAYERS:
        validate(payer.id_type, payer.id_number, today=runtime.clock.today())
        assert f"{payer.name}  " in text and payer.id_number in text and payer.phone in text
    assert "李娜  居民身份证 11010819880420004X  手机 13800138002" in text
    assert "应缴费28条（逾期20条）" in text
    assert "家庭成员：李娜（配偶）、张秀英（父母）、张小明（子女）" in text

    with runtime.db.session() as session:
        enrolments = session.scalars(select(Enrolment)).all()
        assert {e.scheme for e in enrolments} == {
            "resident_medical",
            "resident_pension",
            "flexible_employment",
        }
        assert {e.category for e in enrolments} >= {"student_child", "working_age", "elderly"}
        payables = session.scalars(select(Payable)).all()
        today = runtime.clock.today()
        assert Counter(p.scheme for p in payables) == {
            "resident_medical": 4,
            "resident_pension": 2,
            "flexible_employment": 28 + 16 + 4,
        }
        assert any(p.due_date < today for p in payables) and any(p.due_date >= today for p in payables)
        assert len(session.scalars(select(FamilyMember)).all()) == len(FAMILY)
        assert session.scalars(select(Person)).all() and all(p.phone for p in session.scalars(select(Person)))
        zhang = next(p for p in session.scalars(select(Person)) if p.name == "张建国")
        link = session.scalars(
            select(FamilyMember).where(FamilyMember.payer_id == zhang.id, FamilyMember.relation == "spouse")
        ).one()

    headers = bearer_for(runtime, zhang)
    items = client.get("/api/v1/payables", params={"payer_id": str(link.id)}, headers=headers).json()["items"]
    overdue = [i for i in items if i["overdue"]]
    assert len(items) == 28 and len(overdue) == 20
    assert all(i["late_fee_fen"] > 0 for i in overdue)
