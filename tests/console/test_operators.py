"""`shebao operators add|disable|reset`: what they print, what they store, what they end."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from shebao.audit.models import AuditEntry
from shebao.console import credentials
from shebao.console.models import Operator
from shebao.runtime import Runtime
from tests.support.console import DONGCHENG, Enrolled, login, staff_headers
from tests.support.enrolment import CliRunnerCall


def _enrolled(username: str, output: str) -> Enrolled:
    lines = output.splitlines()
    assert len(lines) == 2, output
    assert lines[0].startswith("password=") and lines[1].startswith("totp=otpauth://totp/")
    password, uri = lines[0].removeprefix("password="), lines[1].removeprefix("totp=")
    secret = parse_qs(urlparse(uri).query)["secret"][0]
    return Enrolled(username, password, secret, uri)


def test_add_prints_the_one_time_password_and_the_totp_uri(
    cli: CliRunnerCall, client: TestClient, session: Session
) -> None:
    result = cli("operators", "add", "chen.jing", "--tax-office", DONGCHENG, "--role", "approver")
    assert result.exit_code == 0, result.output
    who = _enrolled("chen.jing", result.stdout)
    assert re.fullmatch(r"[A-Za-z2-9]{16}", who.password)
    assert parse_qs(urlparse(who.uri).query)["issuer"] == ["shebao 税务所控制台"]
    operator = session.scalars(select(Operator)).one()
    assert (operator.username, operator.role, operator.tax_office_code, operator.status) == (
        "chen.jing",
        "approver",
        DONGCHENG,
        "pending",
    )
    assert operator.password_hash.startswith("$argon2id$")
    assert who.password not in operator.password_hash
    stored = bytes(session.execute(text("SELECT totp_secret FROM operators")).scalar_one())
    assert who.secret.encode() not in stored  # encrypted at rest
    answer = login(client, who)
    changed = client.post(
        "/api/v1/console/password", json={"new_password": "a much longer one"}, headers=answer
    )
    assert changed.status_code == 200


def test_add_refuses_bad_input_and_changes_nothing(cli: CliRunnerCall, session: Session) -> None:
    cases = [
        (
            ["x", "--tax-office", DONGCHENG, "--role", "operator"],
            "用户名须为3至64位字母、数字或 . _ -，以字母或数字开头",
        ),
        (
            ["chen", "--tax-office", DONGCHENG, "--role", "boss"],
            "角色须为 viewer、operator、approver 或 admin 之一",
        ),
        (["chen", "--role", "operator"], "除管理员外，操作员必须属于一个税务所（--tax-office）"),
        (["chen", "--tax-office", "99999", "--role", "viewer"], "税务所代码不存在：99999"),
    ]
    for args, message in cases:
        result = cli("operators", "add", *args)
        assert result.exit_code == 1
        assert result.stderr.strip() == message
    assert session.scalars(select(Operator)).all() == []
    assert cli("operators", "add", "chen", "--role", "admin").exit_code == 0  # an admin of all offices
    again = cli("operators", "add", "chen", "--role", "admin")
    assert (again.exit_code, again.stderr.strip()) == (1, "用户名已存在：chen")


def test_disable_ends_the_sessions_at_once(cli: CliRunnerCall, client: TestClient, runtime: Runtime) -> None:
    headers = staff_headers(client, runtime, role="operator", username="he.ping")
    assert client.get("/api/v1/console/me", headers=headers).status_code == 200
    result = cli("operators", "disable", "he.ping")
    assert (result.exit_code, result.stdout.strip()) == (0, "已停用：he.ping")
    assert client.get("/api/v1/console/me", headers=headers).status_code == 401
    again = cli("operators", "disable", "he.ping")
    assert (again.exit_code, again.stderr.strip()) == (1, "该操作员已停用：he.ping")
    unknown = cli("operators", "disable", "nobody")
    assert (unknown.exit_code, unknown.stderr.strip()) == (1, "没有这个操作员：nobody")


def test_a_disabled_operator_cannot_log_in(cli: CliRunnerCall, client: TestClient, session: Session) -> None:
    who = _enrolled(
        "ma.li", cli("operators", "add", "ma.li", "--tax-office", DONGCHENG, "--role", "viewer").stdout
    )
    cli("operators", "disable", "ma.li")
    answer = client.post(
        "/api/v1/console/login", json={"username": "ma.li", "password": who.password, "totp": who.code()}
    )
    assert answer.status_code == 403
    assert answer.json()["error"] == {"code": "operator_disabled", "message": "该账号已停用，请联系管理员"}
    wrong = client.post(
        "/api/v1/console/login", json={"username": "ma.li", "password": "nope", "totp": who.code()}
    )
    assert wrong.status_code == 401
    refused = session.scalars(
        select(AuditEntry.after).where(AuditEntry.action == "console.login_refused")
    ).all()
    assert refused == [{"reason": "disabled"}]


def test_reset_gives_a_new_password_and_secret_and_ends_sessions(
    cli: CliRunnerCall, client: TestClient, session: Session
) -> None:
    first = _enrolled(
        "gao.yan", cli("operators", "add", "gao.yan", "--tax-office", DONGCHENG, "--role", "operator").stdout
    )
    headers = login(client, first)
    result = cli("operators", "reset", "gao.yan")
    assert result.exit_code == 0
    second = _enrolled("gao.yan", result.stdout)
    assert (second.password, second.secret) != (first.password, first.secret)
    assert client.post("/api/v1/console/logout", headers=headers).status_code == 401
    old = client.post(
        "/api/v1/console/login",
        json={"username": "gao.yan", "password": first.password, "totp": first.code(1)},
    )
    assert old.status_code == 401
    new = login(client, second)
    assert client.get("/api/v1/console/me", headers=new).status_code == 403  # the new one-time password first
    actions = session.scalars(
        select(AuditEntry.action).where(AuditEntry.object_type == "operator").order_by(AuditEntry.occurred_at)
    ).all()
    assert actions == [
        "operator.added",
        "console.login",
        "operator.reset",
        "console.login_failed",
        "console.login",
    ]


def test_totp_codes_follow_real_time_not_the_service_clock(set_now) -> None:  # type: ignore[no-untyped-def]
    secret = credentials.new_totp_secret()
    set_now("2020-01-01T00:00:00+08:00")
    step = credentials.real_step()
    assert credentials.matching_step(secret, credentials.code_at(secret, step), last_step=None) in (
        step,
        step + 1,
    )
    assert credentials.matching_step(secret, credentials.code_at(secret, step - 5), last_step=None) is None
    assert credentials.matching_step(secret, "12345", last_step=None) is None
