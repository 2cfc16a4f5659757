"""Roles × endpoints (issue 16): every route under /api/v1/console/ and /console, taken from the app's own
route table, called as no one, as a payer, as each role of the payer's tax office and as each role of
another office; the exact status each gets follows from the declared minimum role of the route, and
another office's staff learn nothing of this office's payers (0 leaks).

A route added to the console without a line in RULES fails here until its rule is declared.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.routing import APIRoute

from shebao.console.staff import Role
from shebao.web.security import CSRF_COOKIE, CSRF_HEADER
from tests.support.console import staff_headers
from tests.support.offices import HOME, OTHER
from tests.support.people import ZHANG_SAN, bearer_for

pytestmark = pytest.mark.adversarial

PUBLIC = None  # a route anyone may call (the login itself)
NO_REFUND = "01a20000-0000-7000-8000-000000000000"  # a well-formed id of no refund


@dataclass(frozen=True)
class Rule:
    role: Role | None  # the least role that may call it; PUBLIC: no login needed
    office_object: bool = False  # it names an object of one office: another office's staff get a 404
    ok: int = 200  # what an allowed call answers
    anonymous: int | None = None  # what a public route answers one not logged in, when not `ok`


# "METHOD path" → its rule. Declared, not derived: the test is that the code agrees with this table.
RULES: dict[str, Rule] = {
    # console-auth: the login, the operator's own session
    "POST /api/v1/console/login": Rule(PUBLIC, ok=401),  # a wrong password here: the login's own 401
    "POST /api/v1/console/password": Rule(Role.VIEWER, ok=422),  # the body's weak password: its own 422
    "POST /api/v1/console/logout": Rule(Role.VIEWER),
    "GET /api/v1/console/me": Rule(Role.VIEWER),
    "GET /console/login": Rule(PUBLIC, ok=303, anonymous=200),  # logged in already: on to the console
    "POST /console/login": Rule(PUBLIC, ok=422),  # nothing filled in: the form again
    "GET /console/password": Rule(Role.VIEWER),
    "POST /console/password": Rule(Role.VIEWER, ok=422),
    "POST /console/logout": Rule(Role.VIEWER, ok=303),
    "GET /console": Rule(Role.VIEWER),
    # dashboards (统计): figures of the caller's own office, as JSON and CSV, and their page
    "GET /api/v1/console/dashboards/collections": Rule(Role.VIEWER),
    "GET /api/v1/console/dashboards/payments-by-status": Rule(Role.VIEWER),
    "GET /api/v1/console/dashboards/batch-outcomes": Rule(Role.VIEWER),
    "GET /api/v1/console/dashboards/collections.csv": Rule(Role.VIEWER),
    "GET /api/v1/console/dashboards/payments-by-status.csv": Rule(Role.VIEWER),
    "GET /api/v1/console/dashboards/batch-outcomes.csv": Rule(Role.VIEWER),
    "GET /console/dashboards": Rule(Role.VIEWER),
    # lookup: payers, reveal, audit
    "GET /api/v1/console/payers": Rule(Role.VIEWER, office_object=True),
    "GET /api/v1/console/payers/{person_id}": Rule(Role.VIEWER, office_object=True),
    "POST /api/v1/console/payers/{person_id}/reveal": Rule(Role.OPERATOR, office_object=True),
    "GET /console/payers": Rule(Role.VIEWER),
    "POST /console/payers": Rule(Role.VIEWER, ok=404),  # another office's payer: the form, with 未找到
    "GET /console/payers/{person_id}": Rule(Role.VIEWER, office_object=True),
    "POST /console/payers/{person_id}/reveal": Rule(Role.OPERATOR, office_object=True),
    "GET /api/v1/console/audit": Rule(Role.VIEWER),
    "GET /console/audit": Rule(Role.VIEWER),
    "GET /console/audit.csv": Rule(Role.VIEWER),
    # 对账, 批扣, 导入, 政策参数: all-offices records (decision 0017); an unknown id is a 404, a body that
    # gets past the role check is refused on its own terms (a date not yet closed, no reason, no file)
    "GET /api/v1/console/reconciliation/runs": Rule(Role.VIEWER),
    "POST /api/v1/console/reconciliation/runs": Rule(Role.OPERATOR, ok=422),
    "GET /api/v1/console/reconciliation/issues": Rule(Role.VIEWER),
    "GET /api/v1/console/reconciliation/issues/{issue_id}": Rule(Role.VIEWER, ok=404),
    "POST /api/v1/console/reconciliation/issues/{issue_id}/resolve": Rule(Role.OPERATOR, ok=404),
    "GET /console/reconciliation": Rule(Role.VIEWER),
    "POST /console/reconciliation/runs": Rule(Role.OPERATOR, ok=422),
    "POST /console/reconciliation/issues/{issue_id}/resolve": Rule(Role.OPERATOR, ok=422),
    "GET /api/v1/console/batches": Rule(Role.VIEWER),
    "POST /api/v1/console/batches": Rule(Role.OPERATOR, ok=422),
    "GET /api/v1/console/batches/{run_id}": Rule(Role.VIEWER, ok=404),
    "GET /api/v1/console/batches/{run_id}/report.csv": Rule(Role.VIEWER, ok=404),
    "GET /console/batches": Rule(Role.VIEWER),
    "POST /console/batches": Rule(Role.OPERATOR, ok=422),
    "GET /console/batches/{run_id}": Rule(Role.VIEWER, ok=404),
    "GET /api/v1/console/imports": Rule(Role.VIEWER),
    "POST /api/v1/console/imports": Rule(Role.OPERATOR, ok=422),
    "GET /api/v1/console/imports/{import_id}": Rule(Role.VIEWER, ok=404),
    "GET /console/imports": Rule(Role.VIEWER),
    "POST /console/imports": Rule(Role.OPERATOR, ok=422),
    "GET /console/imports/{import_id}": Rule(Role.VIEWER, ok=404),
    "GET /api/v1/console/policies": Rule(Role.VIEWER),
    "GET /console/policies": Rule(Role.VIEWER),
    # refunds (退费): the list of one's office; a refund named by an id no refund has is a 404 to whoever
    # may act on it (another office's refund: tests/refunds/test_console.py)
    "GET /api/v1/console/refunds": Rule(Role.VIEWER),
    "GET /api/v1/console/refunds/{refund_id}": Rule(Role.VIEWER, ok=404),
    "POST /api/v1/console/refunds/{refund_id}/propose": Rule(Role.OPERATOR, ok=404),
    "POST /api/v1/console/refunds/{refund_id}/approve": Rule(Role.APPROVER, ok=404),
    "GET /console/refunds": Rule(Role.VIEWER),
    "GET /console/refunds/{refund_id}": Rule(Role.VIEWER, ok=404),
    "POST /console/refunds/{refund_id}/propose": Rule(Role.OPERATOR, ok=404),
    "POST /console/refunds/{refund_id}/approve": Rule(Role.APPROVER, ok=404),
}
# The exceptions to "the allowed answer" above, for the callers of the payer's own office.
OWN_OFFICE_OK = {"POST /console/payers": 303}

ROLES = [Role.VIEWER, Role.OPERATOR, Role.APPROVER, Role.ADMIN]


@dataclass(frozen=True)
class Route:
    method: str
    path: str

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def page(self) -> bool:
        return not self.path.startswith("/api/")


def console_routes(app: Any) -> list[Route]:
    found = []
    for route in app.routes:
        nested = getattr(route, "original_router", None)
        for one in nested.routes if nested is not None else [route]:
            if not isinstance(one, APIRoute):
                continue
            if not (
                one.path.startswith("/api/v1/console/")
                or one.path == "/console"
                or one.path.startswith("/console/")
            ):
                continue
            found.extend(Route(method, one.path) for method in sorted(one.methods - {"HEAD"}))
    return sorted(set(found), key=lambda r: r.key)


def _request(route: Route, person_id: str) -> dict[str, Any]:
    """A request that gets past validation to the access checks, naming the payer of the home office."""
    url = route.path.replace("{person_id}", person_id)
    for name in ("{issue_id}", "{run_id}", "{import_id}"):  # nothing of the kind exists: a 404 when allowed
        url = url.replace(name, "00000000-0000-7000-8000-000000000000")
    url = url.replace("{refund_id}", NO_REFUND)
    unknown = [part for part in url.split("/") if part.startswith("{")]
    assert not unknown, f"{route.key}: a value for {unknown} is needed here"
    request: dict[str, Any] = {"method": route.method, "url": url}
    params = {
        "GET /api/v1/console/payers": {"id_number": ZHANG_SAN[1]},
        "GET /api/v1/console/dashboards/collections": {"by": "scheme"},
        "GET /api/v1/console/dashboards/collections.csv": {"by": "scheme"},
    }
    if route.key in params:
        request["params"] = params[route.key]
    bodies = {
        "POST /api/v1/console/login": {
            "json": {"username": "nobody", "password": "x" * 12, "totp": "000000"}
        },
        "POST /api/v1/console/password": {"json": {"new_password": "short"}},
        "POST /console/payers": {"data": {"id_number": ZHANG_SAN[1]}},
        "POST /console/payers/{person_id}/reveal": {"data": {"reason": "核实身份"}},
        "POST /api/v1/console/payers/{person_id}/reveal": {"json": {"reason": "核实身份"}},
        "POST /api/v1/console/reconciliation/runs": {"json": {"date": "2099-01-01", "channel": "alipay"}},
        "POST /api/v1/console/reconciliation/issues/{issue_id}/resolve": {"json": {"reason": "已核实"}},
        "POST /api/v1/console/batches": {"json": {"date": "2099-01-01"}},
        "POST /api/v1/console/refunds/{refund_id}/propose": {"json": {"reason": "重复缴费"}},
        "POST /console/refunds/{refund_id}/propose": {"data": {"reason": "重复缴费"}},
    }
    request.update(bodies.get(route.key, {}))
    if route.page and route.method == "POST":
        request.setdefault("data", {})
    return request


def _expected(rule: Rule, route: Route, caller: str, role: Role | None, office: str | None) -> int:
    if caller in {"nobody", "payer"}:
        if rule.role is PUBLIC:
            return rule.anonymous or rule.ok
        return 303 if route.page and route.method == "GET" else 401
    assert role is not None
    if rule.role is not PUBLIC and not _at_least(role, rule.role):
        return 403
    if rule.office_object and office != HOME:
        return 404
    if office == HOME:
        return OWN_OFFICE_OK.get(route.key, rule.ok)
    return rule.ok


def _at_least(role: Role, least: Role) -> bool:
    return ROLES.index(role) >= ROLES.index(least)


def callers(
    client: Any, runtime: Any, world: Any
) -> Iterator[tuple[str, Role | None, str | None, dict[str, str]]]:
    yield "nobody", None, None, {}
    yield "payer", None, None, bearer_for(runtime, world.zhang)
    for office in (HOME, OTHER):
        for role in ROLES:
            name = f"{role.value}-{office}"
            yield (
                name,
                role,
                office,
                staff_headers(client, runtime, role=role.value, office=office, username=name),
            )


def test_every_console_route_has_a_declared_rule(app) -> None:  # type: ignore[no-untyped-def]
    routes = {route.key for route in console_routes(app)}
    assert sorted(routes - set(RULES)) == [], "console routes without a rule in RULES"
    assert sorted(set(RULES) - routes) == [], "rules of routes that no longer exist"


def test_roles_by_endpoint_and_office(client, app, runtime, world) -> None:  # type: ignore[no-untyped-def]
    person_id = str(world.zhang.id)
    secrets = [person_id, "110101********1823", "*三", ZHANG_SAN[1]]
    wrong, leaks, calls = [], [], 0
    routes = [route for route in console_routes(app) if route.key in RULES]
    everyone = list(callers(client, runtime, world))
    for route in routes:
        rule = RULES[route.key]
        for caller, role, office, headers in everyone:
            if route.key.endswith("/logout"):
                continue  # ends the caller's session: checked on its own below
            if route.key == "POST /api/v1/console/login" and role is not None:
                continue  # a failed login counts per address (429 after 5): tried as no one only
            client.cookies.clear()
            sent = dict(headers)
            if route.page and route.method == "POST":
                client.cookies.set(CSRF_COOKIE, "matrix-token")
                sent[CSRF_HEADER] = "matrix-token"
            answer = client.request(**_request(route, person_id), headers=sent, follow_redirects=False)
            calls += 1
            expected = _expected(rule, route, caller, role, office)
            if answer.status_code != expected:
                wrong.append(f"{caller:18} {route.key} -> {answer.status_code} (expected {expected})")
            if (
                route.page
                and route.method == "GET"
                and caller in {"nobody", "payer"}
                and rule.role is not PUBLIC
            ):
                assert answer.headers["location"].startswith("/console/login?next="), route.key
            if office == OTHER and answer.status_code < 400:
                leaks.extend(f"{caller} {route.key}: {s}" for s in secrets if s in answer.text)
    assert wrong == [], "\n".join(wrong)
    assert leaks == []
    tried = [route for route in routes if not route.key.endswith("/logout")]
    assert calls == len(tried) * len(everyone) - (len(everyone) - 2) >= 170  # less the login's skips


def test_logout_by_role(client, runtime, world) -> None:  # type: ignore[no-untyped-def]
    assert client.post("/api/v1/console/logout").status_code == 401
    for role in ROLES:
        headers = staff_headers(client, runtime, role=role.value, office=OTHER, username=f"out-{role.value}")
        assert client.post("/api/v1/console/logout", headers=headers).status_code == 200
        assert client.get("/api/v1/console/me", headers=headers).status_code == 401
