"""Arrangements for the contribution-setting and batch-deduction tests: accounts, agreements, settings."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from shebao.runtime import Runtime
from tests.support.agreements import LI_CARD, ZHANG_CARD, next_day, open_account, signed
from tests.support.people import bearer_for

SETTINGS = "/api/v1/contribution-settings"


def agreements(
    client: TestClient, runtime: Runtime, world: Any, *, zhang_fen: int = 10_000_000
) -> dict[str, str]:
    """Zhang San's and Li Si's own agreements at 什刹海税务所, effective (the clock a day on)."""
    open_account(client, ZHANG_CARD, "张三", zhang_fen)
    open_account(client, LI_CARD, "李四", 10_000_000)
    zhang = signed(client, world.zhang_headers)
    li = signed(client, world.li_headers, account_no=LI_CARD, holder="李四")
    next_day(runtime)
    fresh(runtime, world)
    return {"zhang": zhang["id"], "li": li["id"]}


def fresh(runtime: Runtime, world: Any) -> None:
    """New bearer tokens after the clock moved (idle sessions end)."""
    world.zhang_headers = bearer_for(runtime, world.zhang)
    world.li_headers = bearer_for(runtime, world.li)
    world.wang_headers = bearer_for(runtime, world.wang)


def setting_body(agreement_id: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "scheme": "resident_pension",
        "agreement_id": agreement_id,
        "valid_from": 2025,
        "valid_to": 2026,
        "annual_amount_fen": 300_000,
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def create(
    client: TestClient, headers: dict[str, str], agreement_id: str, **overrides: Any
) -> dict[str, Any]:
    answer = client.post(SETTINGS, json=setting_body(agreement_id, **overrides), headers=headers)
    assert answer.status_code == 201, answer.text
    created: dict[str, Any] = answer.json()
    return created
