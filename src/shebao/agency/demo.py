"""Demo payers for `shebao demo`: enrolled through the import service, with family members.

Fictional people with valid document numbers (GB 11643 check characters computed here), so they can
log in to the demo. On the demo clock (2025-11-20) the 2026 resident-medical window and the 2025
resident-pension window are open, and flexible-employment months from 2025-05 are overdue.
Together they cover every scheme, category and insurance type, a base below the lower limit and one
above the upper limit, an enrolment that ended, months overdue and months not yet due, and a
document other than the resident ID.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import select

from shebao.agency.importer import new_importer, run_import
from shebao.agency.service import REJECTED, RawRow
from shebao.audit.service import Actor
from shebao.identity.documents import ID_TYPE_LABELS, IdType, check_character
from shebao.identity.models import FamilyMember, Person
from shebao.identity.repository import document_index
from shebao.kit.clock import to_shanghai
from shebao.payables.models import Payable
from shebao.runtime import Runtime

RELATION_LABELS = {"spouse": "配偶", "parent": "父母", "child": "子女", "other": "其他"}


def _resident_id(body: str) -> str:
    return body + check_character(body)


@dataclass(frozen=True)
class DemoPayer:
    key: str
    name: str
    id_type: str
    id_number: str
    phone: str
    enrolments: tuple[dict[str, str], ...]
    about: str


XICHENG = {"tax_office_code": "11101020001", "agency_code": "SB110102"}  # 什刹海税务所
CHAOYANG = {"tax_office_code": "11101050001", "agency_code": "SB110105"}  # 望京税务所
FENGTAI = {"tax_office_code": "11101060001", "agency_code": "SB110106"}  # 丰台镇税务所
HAIDIAN = {"tax_office_code": "11101080001", "agency_code": "SB110108"}  # 中关村税务所
ALL_TYPES = "pension;unemployment;medical;work_injury"

PAYERS: tuple[DemoPayer, ...] = (
    DemoPayer(
        "zhang_jianguo",
        "张建国",
        "resident_id",
        _resident_id("11010219850315001"),
        "13800138001",
        (
            {"scheme": "resident_medical", "category": "working_age", **XICHENG},
            {"scheme": "resident_pension", **XICHENG},
        ),
        "城乡居民医保（劳动年龄内居民）、城乡居民养老（未选档次：按最低1000元）",
    ),
    DemoPayer(
        "li_na",
        "李娜",
        "resident_id",
        _resident_id("11010819880420004"),
        "13800138002",
        (
            {
                "scheme": "flexible_employment",
                "insurance_types": ALL_TYPES,
                "monthly_base_yuan": "10000",
                "period_start": "2025-05",
                **HAIDIAN,
            },
        ),
        "灵活就业四险种，基数10000元，2025-05起：2025-05至09已逾期（含滞纳金），10、11月未到期",
    ),
    DemoPayer(
        "zhang_xiuying",
        "张秀英",
        "resident_id",
        _resident_id("11010219500612002"),
        "13800138003",
        (
            {"scheme": "resident_medical", "category": "elderly", **XICHENG},
            {"scheme": "resident_pension", "annual_amount_yuan": "2000", **XICHENG},
        ),
        "城乡居民医保（老年人）、城乡居民养老（2000元档）",
    ),
    DemoPayer(
        "zhang_xiaoming",
        "张小明",
        "resident_id",
        _resident_id("11010520150901003"),
        "13800138004",
        ({"scheme": "resident_medical", "category": "student_child", **CHAOYANG},),
        "城乡居民医保（学生儿童）",
    ),
    DemoPayer(
        "wang_fang",
        "王芳",
        "resident_id",
        _resident_id("11010619790808006"),
        "13800138005",
        (
            {
                "scheme": "flexible_employment",
                "insurance_types": "pension;medical",
                "monthly_base_yuan": "50000",
                "period_start": "2025-01",
                "period_end": "2025-08",
                **FENGTAI,
            },
        ),
        "灵活就业养老、医疗，基数50000元（按上限计），2025-01至2025-08（已停保），全部逾期",
    ),
    DemoPayer(
        "zhao_gang",
        "赵刚",
        "resident_id",
        _resident_id("11010519920214007"),
        "13800138006",
        (
            {
                "scheme": "flexible_employment",
                "insurance_types": "pension;unemployment",
                "monthly_base_yuan": "3000",
                "period_start": "2025-10",
                **CHAOYANG,
            },
        ),
        "灵活就业养老、失业，基数3000元（按下限计），2025-10起，未到期",
    ),
    DemoPayer(
        "chen_meiling",
        "陈美玲",
        "hk_mo_permit",
        "H12345678",
        "13800138007",
        ({"scheme": "resident_medical", "category": "working_age", **XICHENG},),
        "城乡居民医保（劳动年龄内居民）",
    ),
)

# (payer, member, relation): who can pay for whom (为他人缴费).
FAMILY: tuple[tuple[str, str, str], ...] = (
    ("zhang_jianguo", "li_na", "spouse"),
    ("zhang_jianguo", "zhang_xiuying", "parent"),
    ("zhang_jianguo", "zhang_xiaoming", "child"),
    ("li_na", "zhang_jianguo", "spouse"),
    ("li_na", "zhang_xiaoming", "child"),
)


def demo_rows() -> list[RawRow]:
    rows: list[RawRow] = []
    for payer in PAYERS:
        for enrolment in payer.enrolments:
            values = {
                "id_type": payer.id_type,
                "id_number": payer.id_number,
                "name": payer.name,
                "phone": payer.phone,
                **enrolment,
            }
            rows.append(RawRow(line=len(rows) + 2, values=values))
    return rows


def enrol_demo_payers(runtime: Runtime) -> list[str]:
    """Import the demo payers, link their families; answers the lines `shebao demo` prints."""
    importer = new_importer(runtime, actor=Actor(type="system", id="demo"))
    report = run_import(runtime, demo_rows(), importer)
    rejected = [result for result in report.results if result.status == REJECTED]
    if rejected:
        raise RuntimeError(f"demo enrolment rejected: {rejected}")
    with runtime.work().step() as step:
        session, now = step.session, step.now
        today = to_shanghai(now).date()
        indexes = {p.key: document_index(IdType(p.id_type), p.id_number) for p in PAYERS}
        persons = {
            person.document_index: person
            for person in session.scalars(select(Person).where(Person.document_index.in_(indexes.values())))
        }
        ids = {key: persons[index].id for key, index in indexes.items()}
        for owner, member, relation in FAMILY:
            session.add(
                FamilyMember(payer_id=ids[owner], member_id=ids[member], relation=relation, created_at=now)
            )
        payables = session.scalars(select(Payable).where(Payable.person_id.in_(ids.values()))).all()
        owed = Counter(payable.person_id for payable in payables)
        overdue = Counter(payable.person_id for payable in payables if payable.due_date < today)

    names = {payer.key: payer.name for payer in PAYERS}
    lines = ["  演示缴费人（登录短信验证码见 GET /sandbox/sms/outbox?phone=手机号）："]
    for payer in PAYERS:
        person_id = ids[payer.key]
        family = [
            f"{names[member]}（{RELATION_LABELS[relation]}）"
            for owner, member, relation in FAMILY
            if owner == payer.key
        ]
        label = ID_TYPE_LABELS[IdType(payer.id_type)]
        lines.append(f"    {payer.name}  {label} {payer.id_number}  手机 {payer.phone}")
        summary = f"应缴费{owed[person_id]}条" + (
            f"（逾期{overdue[person_id]}条）" if overdue[person_id] else ""
        )
        lines.append(f"      {payer.about}；{summary}")
        if family:
            lines.append(f"      家庭成员：{'、'.join(family)}")
    return lines
