"""A world for the console's dashboards: payments of several payers, schemes, tax offices, channels and
statuses over several days, and a batch deduction run (against the sandbox bank) with failures.

A pytest plugin (the `seeded` fixture). The batch run is real (its settings, agreements, files and
result files); the other payments are stored as the payment core leaves them (a declaration and its
payment), on days of our choosing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from shebao.agreements.models import Agreement
from shebao.declarations.models import NORMAL, Declaration
from shebao.deductions.run import run
from shebao.identity.models import Person
from shebao.payments.models import Payment
from shebao.runtime import Runtime
from tests.support.deductions import agreements, create, fresh
from tests.support.people import transaction
from tests.support.providers import routed_to

SHISHAHAI = "11101020001"  # 什刹海税务所, 西城区: the world's payers are enrolled here
JINRONGJIE = "11101020002"  # 金融街税务所, also 西城区
DONGZHIMEN = "11101010001"  # 东直门税务所, 东城区
WANGJING = "11101050001"  # 望京税务所, 朝阳区
AGENCIES = {SHISHAHAI: "SB110102", JINRONGJIE: "SB110102", DONGZHIMEN: "SB110101", WANGJING: "SB110105"}
RUN_DAY = date(2025, 11, 21)  # the batch run's day (the clock is a day past the world's by then)


@dataclass(frozen=True)
class Paid:
    who: str  # zhang | li | wang
    office: str
    scheme: str
    method: str
    channel: str
    status: str
    amount_fen: int
    at: str  # created (and, when succeeded, succeeded) at, Asia/Shanghai


PAYMENTS = [
    Paid(
        "zhang", SHISHAHAI, "resident_medical", "alipay", "alipay_mp", "succeeded", 38_000, "2025-11-03T10:00"
    ),
    Paid(
        "li", SHISHAHAI, "resident_pension", "wechat", "wechat_mp", "succeeded", 200_000, "2025-11-03T15:00"
    ),
    Paid(
        "wang", SHISHAHAI, "flexible_employment", "unionpay", "h5", "succeeded", 123_456, "2025-11-19T23:30"
    ),
    # 00:30 in Beijing is still the 19th in UTC: it counts for the 20th.
    Paid("wang", SHISHAHAI, "flexible_employment", "alipay", "h5", "succeeded", 50_001, "2025-11-20T00:30"),
    Paid("zhang", SHISHAHAI, "resident_medical", "alipay", "alipay_mp", "failed", 38_000, "2025-11-05T09:00"),
    Paid("li", SHISHAHAI, "resident_pension", "wechat", "wechat_mp", "closed", 200_000, "2025-11-02T12:00"),
    Paid("zhang", SHISHAHAI, "resident_medical", "alipay", "h5", "pending", 38_000, "2025-11-20T08:00"),
    Paid(
        "wang",
        SHISHAHAI,
        "flexible_employment",
        "elsewhere",
        "counter",
        "succeeded",
        70_000,
        "2025-10-23T00:00",
    ),
    # A second before the range of 2025-10-23 … 2025-11-21 begins.
    Paid(
        "wang",
        SHISHAHAI,
        "flexible_employment",
        "elsewhere",
        "bank",
        "succeeded",
        99_999,
        "2025-10-22T23:59:59",
    ),
    Paid("li", JINRONGJIE, "resident_pension", "unionpay", "h5", "succeeded", 100_000, "2025-11-03T16:00"),
    Paid(
        "zhang", DONGZHIMEN, "resident_medical", "alipay", "baidu_mp", "succeeded", 38_000, "2025-11-03T11:00"
    ),
    Paid("li", DONGZHIMEN, "resident_pension", "unionpay", "h5", "succeeded", 150_000, "2025-11-10T10:00"),
    Paid("li", DONGZHIMEN, "resident_pension", "unionpay", "h5", "unknown", 150_000, "2025-11-10T10:05"),
    Paid(
        "wang",
        WANGJING,
        "flexible_employment",
        "wechat",
        "wechat_mp",
        "succeeded",
        88_800,
        "2025-11-03T20:00",
    ),
]


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text + "+08:00")


def store_payment(runtime: Runtime, person: Person, paid: Paid, number: int) -> None:
    """A declaration and its payment as the payment core leaves them in `paid.status`."""
    at = _moment(paid.at)
    succeeded = paid.status == "succeeded"
    with transaction(runtime) as session:
        declaration = Declaration(
            id=uuid.uuid4(),
            person_id=person.id,
            declared_by_id=person.id,
            scheme=paid.scheme,
            kind=NORMAL,
            channel=paid.channel,
            tax_office_code=paid.office,
            agency_code=AGENCIES[paid.office],
            period_start="2025-11",
            period_end="2025-11",
            total_fen=paid.amount_fen,
            late_fee_fen=0,
            status="succeeded",
            payment_status="paid" if succeeded else "unpaid",
            deadline=date(2025, 12, 31),
            declared_at=at - timedelta(minutes=1),
            decided_at=at - timedelta(minutes=1),
            paid_at=at if succeeded else None,
        )
        session.add(declaration)
        session.flush()
        session.add(
            Payment(
                declaration_id=declaration.id,
                payer_id=person.id,
                person_id=person.id,
                method=paid.method,
                channel=paid.channel,
                out_trade_no=f"DASH{number:08d}",
                amount_fen=paid.amount_fen,
                status=paid.status,
                created_at=at,
                updated_at=at,
                expires_at=at + timedelta(minutes=30),
                succeeded_at=at if succeeded else None,
            )
        )


def dashboard_world(client: TestClient, runtime: Runtime, world: Any) -> None:
    """The payments above, then the batch run of RUN_DAY: Zhang San's medical deducted (79,500 fen), Li
    Si's pension failing for want of money on Zhang San's card, Li Si's own medical failing because her
    agreement was revoked at the bank."""
    people = {"zhang": world.zhang, "li": world.li, "wang": world.wang}
    for number, paid in enumerate(PAYMENTS):
        store_payment(runtime, people[paid.who], paid, number)
    ids = agreements(client, runtime, world, zhang_fen=100_000)  # the clock moves on to RUN_DAY
    create(client, world.zhang_headers, ids["zhang"], payer_id=world.li_family_id, valid_to=2025)
    create(
        client,
        world.zhang_headers,
        ids["zhang"],
        scheme="resident_medical",
        annual_amount_fen=None,
        valid_from=2026,
    )
    create(
        client,
        world.li_headers,
        ids["li"],
        scheme="resident_medical",
        annual_amount_fen=None,
        valid_from=2026,
    )
    with runtime.db.session() as session:
        number = session.scalar(select(Agreement.agreement_no).where(Agreement.id == uuid.UUID(ids["li"])))
    assert client.post(f"/sandbox/bank/agreements/{number}/revoke").status_code == 200
    run(runtime, RUN_DAY)
    fresh(runtime, world)


@pytest.fixture
def seeded(client: TestClient, runtime: Runtime, world: Any, app: FastAPI) -> None:
    """`dashboard_world` as a fixture (a pytest plugin: tests/conftest.py); the bank's files reach the
    sandbox of the app under test in-process."""
    with routed_to(app):
        dashboard_world(client, runtime, world)
