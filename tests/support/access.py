"""A victim payer with one of each kind of object, and the callers who must not reach them (issue 19).

Zhang San (the victim) has paid his own medical fees and his family member Li Si's pension, holds a
certificate of each (缴费证明), a bank agreement, and links Li Si. Wang Wu links Li Si too (a family
member's other payer); Zhao Liu is a stranger. Zhang's own sessions are there in every dead state:
forged, expired and logged out.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from shebao.deductions.settings import SettingRequest, SettingService
from shebao.identity.documents import check_character
from shebao.identity.sessions import open_session
from shebao.payables.models import Payable
from shebao.runtime import Runtime
from tests.support.agreements import ZHANG_CARD, next_day, open_account, signed
from tests.support.people import add_family, bearer_for, make_person, transaction
from tests.support.world import World, payable_ids

ZHAO_LIU = ("赵六", "11010219850612" + "031")
ZHAO_LIU = (ZHAO_LIU[0], ZHAO_LIU[1] + check_character(ZHAO_LIU[1]))


@dataclass
class Victim:
    """Zhang San's objects by kind (the kinds of id a route can take)."""

    ids: dict[str, list[str]] = field(default_factory=dict)


def declare_and_pay(
    client: TestClient, headers: dict[str, str], scheme: str, payer_id: str | None = None
) -> tuple[str, str]:
    """Declare what is owed in `scheme`, pay it in the Alipay sandbox; answers (declaration, payment)."""
    ids = payable_ids(client, headers, scheme, payer_id=payer_id)
    body: dict[str, Any] = {"payable_ids": ids} | ({"payer_id": payer_id} if payer_id else {})
    declared = client.post("/api/v1/declarations", json=body, headers=headers)
    assert declared.status_code == 201, declared.text
    declaration = declared.json()["id"]
    opened = client.post(
        "/api/v1/payments", json={"declaration_id": declaration, "method": "alipay"}, headers=headers
    )
    assert opened.status_code == 201, opened.text
    paid = client.post(f"/sandbox/alipay/trades/{opened.json()['out_trade_no']}/pay")
    assert paid.status_code == 200, paid.text
    return declaration, opened.json()["id"]


def certificate_of(
    client: TestClient, headers: dict[str, str], declaration_id: str, payer_id: str | None = None
) -> str:
    """A 缴费证明 of a paid declaration's scheme and fee periods, made (the worker runs inline here)."""
    declared = client.get(f"/api/v1/declarations/{declaration_id}", headers=headers).json()
    body = {
        "scheme": declared["scheme"],
        "period_from": declared["period_start"],
        "period_to": declared["period_end"],
    } | ({"payer_id": payer_id} if payer_id else {})
    made = client.post("/api/v1/certificates", json=body, headers=headers)
    assert made.status_code == 201, made.text
    found = client.get(f"/api/v1/certificates/{made.json()['id']}", headers=headers).json()
    assert found["status"] == "ready", found
    return str(found["id"])


def victim_objects(client: TestClient, runtime: Runtime, world: World) -> Victim:
    own_declaration, own_payment = declare_and_pay(client, world.zhang_headers, "resident_medical")
    li_declaration, li_payment = declare_and_pay(
        client, world.zhang_headers, "resident_pension", payer_id=world.li_family_id
    )
    certificates = [
        certificate_of(client, world.zhang_headers, own_declaration),
        certificate_of(client, world.zhang_headers, li_declaration, payer_id=world.li_family_id),
    ]
    open_account(client, ZHANG_CARD, "张三")
    agreement = signed(client, world.zhang_headers)["id"]
    next_day(runtime)
    with runtime.work().step() as step:  # Zhang San's setting for his mother, on his agreement
        setting = SettingService(step.session, world.zhang, channel="h5", now=step.now).create(
            SettingRequest("resident_medical", uuid.UUID(agreement), 2026, 2026, family_id=world.li_family_id)
        )
    with runtime.db.session() as s:
        payables = [str(i) for i in s.scalars(select(Payable.id).where(Payable.person_id == world.zhang.id))]
    return Victim(
        {
            "declaration": [own_declaration, li_declaration],
            "payment": [own_payment, li_payment],
            "agreement": [agreement],
            "family": [world.li_family_id],
            "payable": payables,
            "certificate": certificates,
            "contribution_setting": [str(setting.id)],
        }
    )


def callers(runtime: Runtime, world: World, client: TestClient) -> dict[str, dict[str, str]]:
    """Headers of everyone who must get 404 (logged in) or 401 (not logged in) for Zhang's objects."""
    add_family(runtime, world.wang, world.li)
    stranger = make_person(runtime, *ZHAO_LIU, phone="13600003333")
    now = runtime.clock.now()
    idle = timedelta(minutes=runtime.settings.session_idle_minutes)
    with transaction(runtime) as s:
        _, expired = open_session(
            s, world.zhang.id, kind="bearer", channel="h5", now=now - idle - timedelta(minutes=1), idle=idle
        )
    logged_out = bearer_for(runtime, world.zhang)
    assert client.post("/api/v1/auth/logout", headers=logged_out).status_code in (200, 204)
    return {
        "stranger": bearer_for(runtime, stranger),
        "family_members_other_payer": bearer_for(runtime, world.wang),
        "logged_out": {},
        "forged_token": {"Authorization": f"Bearer {secrets.token_urlsafe(32)}"},
        "expired_token": {"Authorization": f"Bearer {expired}"},
        "logged_out_token": logged_out,
    }
