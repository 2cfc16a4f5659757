"""One unit of work per request (decision 0016), counted through real requests on the database under
test: the payer's look-up, the endpoint's steps and its provider calls are all of the request's one."""

from __future__ import annotations

import ast
import contextvars
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient
from starlette.types import Receive, Scope, Send

import shebao
from shebao.db import UnitOfWork, WorkClosed
from shebao.deductions.run import run
from tests.support.deductions import agreements, create
from tests.support.payments import declare, open_payment
from tests.support.providers import routed_to
from tests.support.world import payable_ids

DAY = date(2025, 11, 21)

_MADE: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar("made", default=None)


class Counting:
    """The app under test, noting how many units of work each request made while it ran (a request it
    makes in turn, a provider call reaching a sandbox in-process, notes its own)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.made: dict[str, list[int]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        made: list[int] = []
        token = _MADE.set(made)
        try:
            await self.app(scope, receive, send)
        finally:
            _MADE.reset(token)
            self.made.setdefault(f"{scope['method']} {scope['path']}", []).append(len(made))


@pytest.fixture
def counting(app, monkeypatch) -> Iterator[tuple[TestClient, Counting]]:  # type: ignore[no-untyped-def]
    make = UnitOfWork.__init__

    def made(self: UnitOfWork, *args: Any, **kwargs: Any) -> None:
        make(self, *args, **kwargs)
        noted = _MADE.get()
        if noted is not None:
            noted.append(id(self))

    monkeypatch.setattr(UnitOfWork, "__init__", made)
    counted = Counting(app)
    with routed_to(counted):  # the providers' sandboxes are reached through the same counting
        yield TestClient(counted, base_url="http://testserver", raise_server_exceptions=False), counted


def test_every_request_of_the_journey_has_one_unit_of_work(counting, world) -> None:  # type: ignore[no-untyped-def]
    client, counted = counting
    headers = world.zhang_headers
    ids = payable_ids(client, headers, "resident_medical")
    declared = client.post("/api/v1/declarations", json={"payable_ids": ids}, headers=headers)
    assert declared.status_code == 201, declared.text
    declaration_id = declared.json()["id"]
    body = {"declaration_id": declaration_id, "method": "alipay"}
    payment = client.post("/api/v1/payments", json=body, headers=headers)
    assert payment.status_code == 201, payment.text
    payment_id = payment.json()["id"]
    assert client.get(f"/api/v1/payments/{payment_id}", headers=headers).status_code == 200
    malformed = client.post("/api/v1/payments", json={**body, "declaration_id": ""}, headers=headers)
    assert malformed.status_code == 422
    client.cookies.set("shebao_session", headers["Authorization"].removeprefix("Bearer "))
    page = client.get(f"/declarations/{declaration_id}")
    assert page.status_code == 200, page.text
    voided = client.post(f"/api/v1/declarations/{declaration_id}/void", headers=headers)
    assert voided.status_code == 200, voided.text  # the open Alipay trade closed first: a provider call

    assert counted.made == {
        "GET /api/v1/payables": [1],
        "POST /api/v1/declarations": [1],
        "POST /api/v1/payments": [1, 1],  # the refused one too
        "POST /sandbox/alipay/orders": [1],
        f"GET /api/v1/payments/{payment_id}": [1],
        f"GET /declarations/{declaration_id}": [1],
        f"POST /api/v1/declarations/{declaration_id}/void": [1],
        "POST /sandbox/alipay/gateway.do": [1],
    }


def test_a_notification_callback_has_one_unit_of_work(counting, world) -> None:  # type: ignore[no-untyped-def]
    """The sandbox pays and delivers its notification to the callback: the inbox's read, its store and
    the payment's settlement are steps of the callback's one unit."""
    client, counted = counting
    declared = declare(client, world.zhang_headers)
    out_trade_no = open_payment(client, world.zhang_headers, declared["id"]).json()["out_trade_no"]
    assert client.post(f"/sandbox/alipay/trades/{out_trade_no}/pay").status_code == 200
    assert counted.made["POST /api/v1/channels/alipay/notify"] == [1]
    assert (
        client.get(f"/api/v1/declarations/{declared['id']}", headers=world.zhang_headers).json()[
            "payment_status"
        ]
        == "paid"
    )


def test_a_sandbox_bank_batch_request_has_one_unit_of_work(counting, runtime, world) -> None:  # type: ignore[no-untyped-def]
    """A batch run hands its file to the sandbox bank and fetches the results over HTTP: receiving the file
    (its record and every chunk's deductions), the results list and the streamed result file are each one
    unit of the request's."""
    client, counted = counting
    ids = agreements(client, runtime, world)
    create(client, world.zhang_headers, ids["zhang"], payer_id=world.li_family_id, valid_to=2025)
    assert run(runtime, DAY).total("succeeded") == (1, 300_000)
    batch_requests = {path: made for path, made in counted.made.items() if "/sandbox/bank/batches" in path}
    batch = next(path.split("/")[4] for path in batch_requests if path.startswith("GET "))
    assert batch_requests == {
        "POST /sandbox/bank/batches": [1],
        f"GET /sandbox/bank/batches/{batch}/results": [1],
        f"GET /sandbox/bank/batches/{batch}/results/1": [1],
    }


def test_a_look_up_joins_the_open_step_and_a_closed_unit_begins_nothing(runtime) -> None:  # type: ignore[no-untyped-def]
    work = runtime.work()
    with work.step() as step, work.joined() as joined:
        assert joined is step
    with work.joined() as alone:
        assert alone.session.is_active
    work.close()
    for begin in (work.step, work.read, work.joined):
        with pytest.raises(WorkClosed), begin():
            pass


SRC = Path(shebao.__file__).parent


# Functions of request-handling modules that run outside any request, and why.
NOT_REQUESTS = {
    ("sandbox/refunds.py", "complete_due"): "the worker's sweep of refunds answered later (a queue job)",
}


def _makes_work(tree: ast.AST) -> list[tuple[int, str]]:
    """Where a unit of work is made (a call `….work()`): its line and the function around it."""
    found = []
    functions = [node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)]
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "work"
            and not node.args
        ):
            around = [f for f in functions if f.lineno <= node.lineno <= (f.end_lineno or f.lineno)]
            found.append((node.lineno, around[-1].name if around else ""))
    return sorted(found)


def test_no_request_handler_makes_a_unit_of_work_of_its_own() -> None:
    """A module that handles requests (it imports FastAPI or Starlette) takes the request's unit of work
    (`deps.request_work`, `Work`, `DbSession`, `WriteSession`); only `deps.py` makes it."""
    offences = []
    for path in sorted(SRC.rglob("*.py")):
        relative = path.relative_to(SRC).as_posix()
        text = path.read_text(encoding="utf-8")
        if relative == "deps.py" or not any(f"from {lib}" in text for lib in ("fastapi", "starlette")):
            continue
        offences += [
            f"{relative}:{line} {function}"
            for line, function in _makes_work(ast.parse(text))
            if (relative, function) not in NOT_REQUESTS
        ]
    assert offences == []


def test_the_scan_sees_a_unit_of_work_made() -> None:
    source = """
def handler(runtime):
    work = runtime.work()
    with self.runtime.work().step() as s:
        request_work(request)
"""
    assert _makes_work(ast.parse(source)) == [(3, "handler"), (4, "handler")]
