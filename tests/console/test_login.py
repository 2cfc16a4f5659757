"""The console's login: password + TOTP, the one-time password replaced first, sessions, logout."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shebao.audit.models import AuditEntry
from shebao.console.models import Operator, OperatorSession
from shebao.runtime import Runtime
from tests.support.console import DONGCHENG, NEW_PASSWORD, add_operator, login, staff_headers
from tests.support.login import wait


def _actions(session: Session) -> list[tuple[str, str | None]]:
    rows = session.execute(select(AuditEntry.action, AuditEntry.actor_id).order_by(AuditEntry.occurred_at))
    return [(action, actor) for action, actor in rows]


def test_first_login_must_replace_the_one_time_password(client: TestClient, runtime: Runtime) -> None:
    who = add_operator(runtime, "wang.fang", role="operator")
    answer = client.post(
        "/api/v1/console/login", json={"username": "wang.fang", "password": who.password, "totp": who.code()}
    )
    assert answer.status_code == 200
    assert answer.json()["password_change_required"] is True
    headers = {"Authorization": f"Bearer {answer.json()['access_token']}"}

    refused = client.get("/api/v1/console/me", headers=headers)
    assert refused.status_code == 403
    assert refused.json()["error"] == {
        "code": "password_change_required",
        "message": "请先修改初始密码，再使用控制台",
    }

    changed = client.post("/api/v1/console/password", json={"new_password": NEW_PASSWORD}, headers=headers)
    assert changed.json() == {"status": "changed", "password_change_required": False}
    me = client.get("/api/v1/console/me", headers=headers)
    assert me.status_code == 200
    body = me.json()
    assert body.pop("id")
    assert body == {
        "username": "wang.fang",
        "role": "operator",
        "role_label": "经办员",
        "tax_office_code": DONGCHENG,
        "tax_office_name": "东直门税务所",
    }


def test_the_new_password_logs_in_and_the_old_one_no_longer(client: TestClient, runtime: Runtime) -> None:
    who = add_operator(runtime, "li.na", role="viewer")
    headers = login(client, who)
    assert (
        client.post(
            "/api/v1/console/password", json={"new_password": NEW_PASSWORD}, headers=headers
        ).status_code
        == 200
    )
    old = client.post(
        "/api/v1/console/login", json={"username": "li.na", "password": who.password, "totp": who.code(1)}
    )
    assert old.status_code == 401
    again = client.post(
        "/api/v1/console/login", json={"username": "li.na", "password": NEW_PASSWORD, "totp": who.code(1)}
    )
    assert again.status_code == 200
    assert again.json()["password_change_required"] is False


def test_password_rules(client: TestClient, runtime: Runtime, session: Session) -> None:
    who = add_operator(runtime, "zhao.lei", role="operator")
    headers = login(client, who)
    cases = {
        "short-pass": "新密码至少12位",
        who.password: "新密码不能与原密码（含初始密码）相同",
        " leading space x": "新密码不能以空格开头或结尾，也不能含有不可见字符",
        "x" * 129: "新密码不能超过128位",
    }
    for new_password, message in cases.items():
        answer = client.post("/api/v1/console/password", json={"new_password": new_password}, headers=headers)
        assert answer.status_code == 422, new_password
        assert answer.json()["error"]["message"] == message
    operator = session.scalars(select(Operator)).one()
    assert operator.status == "pending"


def test_wrong_password_wrong_totp_and_unknown_username_are_one_answer(
    client: TestClient, runtime: Runtime, session: Session
) -> None:
    who = add_operator(runtime, "sun.li", role="operator")
    attempts = [
        {"username": "sun.li", "password": "wrong password", "totp": who.code()},
        {
            "username": "sun.li",
            "password": who.password,
            "totp": "000000" if who.code() != "000000" else "111111",
        },
        {"username": "nobody", "password": who.password, "totp": who.code()},
    ]
    for body in attempts:
        answer = client.post("/api/v1/console/login", json=body)
        assert answer.status_code == 401
        assert answer.json() == {"error": {"code": "login_failed", "message": "用户名、密码或动态口令不正确"}}
    assert session.scalar(select(func.count()).select_from(OperatorSession)) == 0
    assert session.scalars(select(Operator.failed_logins)).one() == 2
    failed = session.scalars(
        select(AuditEntry.after)
        .where(AuditEntry.action == "console.login_failed")
        .order_by(AuditEntry.occurred_at)
    ).all()
    assert [entry["reason"] for entry in failed if entry] == ["password", "totp", "unknown_username"]


def test_a_totp_code_is_good_once(client: TestClient, runtime: Runtime) -> None:
    who = add_operator(runtime, "qian.yu", role="operator")
    body = {"username": "qian.yu", "password": who.password, "totp": who.code()}
    assert client.post("/api/v1/console/login", json=body).status_code == 200
    reused = client.post("/api/v1/console/login", json=body)
    assert reused.status_code == 401
    assert reused.json()["error"]["code"] == "login_failed"


def test_logout_ends_the_session(client: TestClient, runtime: Runtime, session: Session) -> None:
    headers = staff_headers(client, runtime, role="viewer")
    assert client.post("/api/v1/console/logout", headers=headers).json() == {"status": "logged_out"}
    after = client.get("/api/v1/console/me", headers=headers)
    assert after.status_code == 401
    assert after.json()["error"]["code"] == "console_not_logged_in"
    assert [action for action, _ in _actions(session)] == [
        "operator.added",
        "console.login",
        "console.password_changed",
        "console.logout",
    ]
    assert {actor for action, actor in _actions(session) if action.startswith("console.")} == {
        "viewer-11101010001"
    }


def test_idle_expiry(client: TestClient, runtime: Runtime, set_now) -> None:  # type: ignore[no-untyped-def]
    set_now("2026-11-28T09:00:00+08:00")
    headers = staff_headers(client, runtime, role="viewer")
    wait(client, 29 * 60)
    assert client.get("/api/v1/console/me", headers=headers).status_code == 200  # the idle time restarts
    wait(client, 29 * 60)
    assert client.get("/api/v1/console/me", headers=headers).status_code == 200
    wait(client, 31 * 60)
    expired = client.get("/api/v1/console/me", headers=headers)
    assert expired.status_code == 401
    assert expired.json()["error"]["message"] == "请先登录税务所控制台（登录已过期或已退出）"


def test_bad_bodies_are_422_in_chinese(client: TestClient, runtime: Runtime) -> None:
    add_operator(runtime, "zhou.min", role="operator")
    for body in (
        {},
        {"username": "zhou.min"},
        {"username": 5, "password": [], "totp": None},
        {"username": "", "password": "x", "totp": "1"},
    ):
        answer = client.post("/api/v1/console/login", json=body)
        assert answer.status_code == 422, body
        assert answer.json()["error"]["code"] == "validation_failed"
    not_json = client.post(
        "/api/v1/console/login", content=b"{", headers={"content-type": "application/json"}
    )
    assert not_json.status_code == 422


def test_payer_and_console_tokens_do_not_cross(client: TestClient, runtime: Runtime, world) -> None:  # type: ignore[no-untyped-def]
    staff = staff_headers(client, runtime, role="admin", office=None)
    assert client.get("/api/v1/me", headers=staff).status_code == 401
    assert client.get("/api/v1/me", headers=world.zhang_headers).status_code == 200
    refused = client.get("/api/v1/console/me", headers=world.zhang_headers)
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "console_not_logged_in"


def test_sessions_expire_by_the_service_clock(client: TestClient, runtime: Runtime, session: Session) -> None:
    headers = staff_headers(client, runtime, role="viewer")
    row = session.scalars(select(OperatorSession)).one()
    assert row.idle_expires_at - row.created_at == timedelta(minutes=30)
    assert client.get("/api/v1/console/me", headers=headers).status_code == 200
