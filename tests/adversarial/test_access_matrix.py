"""Access matrix (issue 19, suite 2): every route that takes an id, given the victim's objects by anyone
but the victim, answers 404 (logged in) or 401 / the login page (not logged in) — and changes nothing.

The routes come from the app itself, so a new endpoint with an id is covered (or, if its id is of a
kind this suite does not know, fails here until it is added to KINDS).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import params
from fastapi.routing import APIRoute
from sqlalchemy import select

from shebao.models import Base
from shebao.web.security import CSRF_COOKIE, CSRF_HEADER
from tests.support.access import Victim, callers, victim_objects
from tests.support.people import bearer_for

pytestmark = pytest.mark.adversarial

# Which kind of object an id parameter names.
KINDS = {
    "family_id": "family",
    "payer_id": "family",
    "declaration_id": "declaration",
    "payment_id": "payment",
    "agreement_id": "agreement",
    "payable_ids": "payable",
    "certificate_id": "certificate",
    "setting_id": "contribution_setting",
}
# Ids that are no payer's object here: a login in progress is reached by its own unguessable id; a
# platform user id is the payer's account at the provider, passed through.
# The certificate check is public by design (anyone holding a certificate verifies it by its numbers).
# A refund is the console's (operators by role and tax office; a payer's login never opens it).
NOT_OBJECTS = {"verification_id", "platform_user_id", "taxpayer_id", "captcha_id", "refund_id"}
# Plain values for the other required inputs, so the request reaches the access check.
PLAIN = {
    "method": "alipay",
    "scheme": "resident_medical",
    "action": "grant",
    "slug": "medical",
    "period_from": "2025-01",
    "period_to": "2025-12",
    "valid_from": 2026,
    "valid_to": 2026,
}
# ... and where the id tried needs another value with it (paying by agreement names one).
PLAIN_WITH = {"agreement_id": {"method": "agreement"}}
# Rows that legitimately move on any request: sessions seen, rate counters.
MOVING_TABLES = {"login_sessions", "rate_counters"}
LOGGED_IN = {"stranger", "family_members_other_payer"}


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    path_params: tuple[str, ...]
    query: dict[str, bool]  # name -> required
    form: dict[str, bool]
    json: dict[str, bool]

    @property
    def page(self) -> bool:
        return not self.path.startswith("/api/")

    def ids(self) -> list[str]:
        names = [*self.path_params, *self.query, *self.form, *self.json]
        return [n for n in names if n.endswith(("_id", "_ids")) and n not in NOT_OBJECTS]


def _params(route: APIRoute, kind: str) -> list[Any]:
    """The route's parameters of one kind (path, query, body), its dependencies' included."""
    found, todo = [], [route.dependant]
    while todo:
        dependant = todo.pop()
        found.extend(getattr(dependant, f"{kind}_params"))
        todo.extend(dependant.dependencies)
    return found


def _fields(route: APIRoute) -> tuple[dict[str, bool], dict[str, bool]]:
    form: dict[str, bool] = {}
    json: dict[str, bool] = {}
    for body in _params(route, "body"):
        if isinstance(body.field_info, params.Form):
            form[body.name] = body.field_info.is_required()
        else:
            model = body.field_info.annotation
            for name, info in getattr(model, "model_fields", {}).items():
                json[name] = info.is_required()
    return form, json


def _api_routes(app: Any) -> Iterator[APIRoute]:
    """The app's routes and those of the routers it includes (their paths carry their own prefix); the
    routers nested further are the sandboxes', whose paths lack their parent's prefix here."""
    for route in app.routes:
        nested = getattr(route, "original_router", None)
        for found in nested.routes if nested is not None else [route]:
            if isinstance(found, APIRoute):
                yield found


def id_routes(app: Any) -> Iterator[Route]:
    """The app's own routes (not the sandboxes') that take an id of a payer's object."""
    for route in _api_routes(app):
        if route.path.startswith(("/sandbox/", "/api/v1/console/", "/console/")):
            continue  # the console's routes: tests/console/test_access_matrix.py
        form, json = _fields(route)
        for method in sorted(route.methods - {"HEAD"}):
            found = Route(
                method,
                route.path,
                tuple(p.name for p in _params(route, "path")),
                {p.name: p.field_info.is_required() for p in _params(route, "query")},
                form,
                json,
            )
            if found.ids():
                yield found


def _value(name: str, victim: Victim, index: int, tried: str) -> Any:
    if name in KINDS:
        values = victim.ids[KINDS[name]]
        value = values[index % len(values)] if name == tried else values[0]
        return [value] if name.endswith("_ids") else value
    if name in PLAIN:
        return PLAIN_WITH.get(tried, {}).get(name, PLAIN[name])
    raise AssertionError(f"no plain value for {name!r}: add it to PLAIN (or its id kind to KINDS)")


def _filled(fields: dict[str, bool], victim: Victim, index: int, tried: str) -> dict[str, Any]:
    """Values for the required inputs and the id tried; the other optional ids and inputs left out."""
    return {
        name: _value(name, victim, index, tried)
        for name, required in fields.items()
        if name == tried or required or (name not in KINDS and name in PLAIN)
    }


def requests_for(route: Route, victim: Victim) -> Iterator[dict[str, Any]]:
    """Each id of the route set to each of the victim's objects of its kind; other optional ids left out."""
    unknown = [n for n in route.ids() if n not in KINDS]
    assert not unknown, f"{route.method} {route.path}: ids of an unknown kind {unknown}: add them to KINDS"
    for name in route.ids():
        for index in range(len(victim.ids[KINDS[name]])):
            path = route.path
            for p in route.path_params:
                path = path.replace("{" + p + "}", str(_value(p, victim, index, name)))
            yield {
                "method": route.method,
                "url": path,
                "params": _filled(route.query, victim, index, name),
                "data": _filled(route.form, victim, index, name) or None,
                "json": _filled(route.json, victim, index, name) or None,
            }


def snapshot(runtime: Any) -> dict[str, list[str]]:
    rows: dict[str, list[str]] = {}
    with runtime.db.session() as s:
        for table in Base.metadata.sorted_tables:
            if table.name not in MOVING_TABLES:
                rows[table.name] = sorted(repr(tuple(row)) for row in s.execute(select(table)))
    return rows


def _allowed(caller: str, route: Route, answer: Any) -> bool:
    if caller in LOGGED_IN:
        return answer.status_code == 404
    if route.page and route.method == "GET":
        return answer.status_code == 303 and answer.headers["location"].startswith("/login?next=")
    return answer.status_code == 401


def _found(answer: Any) -> bool:
    """200, or a page sending the owner on to another page about the object (not to the login)."""
    location = answer.headers.get("location", "")
    return answer.status_code == 200 or (answer.status_code == 303 and not location.startswith("/login"))


def test_nobody_but_the_owner_reaches_an_object_by_its_id(client, app, runtime, world, routed) -> None:  # type: ignore[no-untyped-def]
    victim = victim_objects(client, runtime, world)
    who = callers(runtime, world, client)
    routes = list(id_routes(app))
    assert len(routes) >= 30, [f"{r.method} {r.path}" for r in routes]
    assert {f"{r.method} {r.path}" for r in routes if "certificate_id" in r.ids()} == {
        "GET /api/v1/certificates/{certificate_id}",
        "GET /api/v1/certificates/{certificate_id}/pdf",
        "POST /api/v1/certificates/{certificate_id}/retry",
        "GET /certificates/{certificate_id}",
        "GET /certificates/{certificate_id}/image.png",
        "POST /certificates/{certificate_id}/retry",
    }
    before = snapshot(runtime)
    leaks = []
    calls = 0
    for route in routes:
        for request in requests_for(route, victim):
            for caller, headers in who.items():
                client.cookies.clear()
                if route.page:  # the attacker's browser holds a CSRF token of its own
                    headers = {**headers, "Cookie": f"{CSRF_COOKIE}=own-token", CSRF_HEADER: "own-token"}
                answer = client.request(**request, headers=headers, follow_redirects=False)
                calls += 1
                if not _allowed(caller, route, answer):
                    leaks.append(f"{caller} {route.method} {route.path} -> {answer.status_code}")
    assert leaks == [], "\n".join(sorted(set(leaks)))
    assert calls >= 300
    assert snapshot(runtime) == before
    # The control: the same reads as the owner do find the objects (the ids above were real).
    owner = bearer_for(runtime, world.zhang)
    misses = [
        f"{request['url']} -> {answer.status_code}"
        for route in routes
        if route.method == "GET"
        for request in requests_for(route, victim)
        if not _found(client.request(**request, headers=owner, follow_redirects=False))
    ]
    assert misses == []
