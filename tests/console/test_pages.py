"""The console's pages: login form, first login (new password, TOTP QR code), home, 退出."""

from __future__ import annotations

import pyotp
from fastapi.testclient import TestClient

from shebao.runtime import Runtime
from tests.support.console import NEW_PASSWORD, add_operator


def _csrf(client: TestClient) -> str:
    client.get("/console/login")
    token: str = client.cookies["shebao_csrf"]
    return token


def test_pages_need_a_console_login(client: TestClient) -> None:
    answer = client.get("/console", follow_redirects=False)
    assert (answer.status_code, answer.headers["location"]) == (303, "/console/login?next=%2Fconsole")
    page = client.get("/console/login")
    assert page.status_code == 200
    assert "税务所控制台登录" in page.text and "动态口令" in page.text


def test_first_login_then_home_then_logout(client: TestClient, runtime: Runtime) -> None:
    who = add_operator(runtime, "liu.yang", role="approver")
    csrf = _csrf(client)
    form = {"username": "liu.yang", "password": who.password, "totp": who.code(), "csrf_token": csrf}
    answer = client.post("/console/login", data=form, follow_redirects=False)
    assert (answer.status_code, answer.headers["location"]) == (303, "/console/password")
    cookie = answer.headers["set-cookie"]
    assert "shebao_console=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    home_first = client.get("/console", follow_redirects=False)
    assert (home_first.status_code, home_first.headers["location"]) == (303, "/console/password")

    page = client.get("/console/password")
    assert "首次登录：修改密码" in page.text
    assert "<svg" in page.text
    # Typed by hand instead of scanned: the key in fours, which an authenticator app (pyotp) turns into
    # the code the login accepts.
    key = page.text.split('data-field="totp-key">')[1].split("<")[0]
    assert key == " ".join(who.secret[i : i + 4] for i in range(0, len(who.secret), 4))
    assert pyotp.TOTP(key.replace(" ", "")).now() == who.code()
    short = client.post(
        "/console/password", data={"new_password": "short", "confirm_password": "short", "csrf_token": csrf}
    )
    assert short.status_code == 422 and "新密码至少12位" in short.text
    differ = client.post(
        "/console/password", data={"new_password": NEW_PASSWORD, "confirm_password": "x", "csrf_token": csrf}
    )
    assert differ.status_code == 422 and "两次输入的新密码不一致" in differ.text
    done = client.post(
        "/console/password",
        data={"new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD, "csrf_token": csrf},
        follow_redirects=False,
    )
    assert (done.status_code, done.headers["location"]) == (303, "/console")

    home = client.get("/console")
    assert home.status_code == 200
    for text in (
        "liu.yang",
        "审核员",
        "东直门税务所",
        "缴费人查询",
        "退费审核",
        "对账",
        "批扣",
        "导入",
        "政策参数",
        "统计",
        "审计日志",
    ):
        assert text in home.text
    again = client.get("/console/password").text
    assert who.secret[:4] not in again and "totp-key" not in again  # the key is shown before the change only

    out = client.post("/console/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert (out.status_code, out.headers["location"]) == (303, "/console/login")
    assert client.get("/console", follow_redirects=False).status_code == 303


def test_a_wrong_login_shows_the_form_again(client: TestClient, runtime: Runtime) -> None:
    add_operator(runtime, "xu.jie", role="viewer")
    csrf = _csrf(client)
    answer = client.post(
        "/console/login",
        data={"username": "xu.jie", "password": "nope", "totp": "123456", "csrf_token": csrf},
    )
    assert answer.status_code == 401
    assert "用户名、密码或动态口令不正确" in answer.text and 'value="xu.jie"' in answer.text
    empty = client.post(
        "/console/login", data={"username": "", "password": "", "totp": "", "csrf_token": csrf}
    )
    assert empty.status_code == 422 and "请填写用户名" in empty.text and "请填写动态口令" in empty.text
    no_csrf = client.post("/console/login", data={"username": "xu.jie", "password": "x", "totp": "1"})
    assert no_csrf.status_code == 403


def test_an_unknown_console_page_is_a_console_404(client: TestClient) -> None:
    answer = client.get("/console/nothing-here")
    assert answer.status_code == 404
    assert "页面不存在或已下线" in answer.text and "返回控制台首页" in answer.text
    password = client.get("/console/password", follow_redirects=False)
    assert (password.status_code, password.headers["location"]) == (
        303,
        "/console/login?next=%2Fconsole%2Fpassword",
    )


def test_a_payers_cookie_never_opens_the_console(client: TestClient, runtime: Runtime, world) -> None:  # type: ignore[no-untyped-def]
    from tests.support.login import cookie_login

    cookie_login(client, runtime, world.zhang)
    assert client.get("/mine").status_code == 200
    answer = client.get("/console", follow_redirects=False)
    assert (answer.status_code, answer.headers["location"]) == (303, "/console/login?next=%2Fconsole")
    assert client.get("/api/v1/console/me").status_code == 401
