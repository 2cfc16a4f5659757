from __future__ import annotations

import re

import pytest

from shebao.identity.deps import SESSION_COOKIE
from shebao.web.urls import local_path
from tests.support.login import wait
from tests.support.people import LI_SI, ZHANG_SAN, make_person, transaction

PHONE = "13812345678"


def _csrf(client) -> str:  # type: ignore[no-untyped-def]
    client.get("/")
    token: str = client.cookies["shebao_csrf"]
    return token


def _login_by_pages(client, name: str, id_number: str, phone: str = PHONE):  # type: ignore[no-untyped-def]
    csrf = _csrf(client)
    form = {
        "csrf_token": csrf,
        "phone": phone,
        "name": name,
        "id_type": "resident_id",
        "id_number": id_number,
        "next": "/fees",
    }
    wait(client, 61)
    sent = client.post("/login/sms", data=form)
    assert "验证码已发送至 138****5678" in sent.text
    code = client.get("/sandbox/sms/outbox", params={"phone": phone}).json()["code"]
    started = client.post("/login", data={**form, "sms_code": code}, follow_redirects=False)
    assert started.status_code == 303
    face_page = client.get(started.headers["location"])
    provider = re.search(r'href="(/sandbox/face/[^"]+)"', face_page.text)
    assert provider is not None
    scanned = client.post(
        provider.group(1) + "/scan", data={"csrf_token": csrf, "outcome": "pass"}, follow_redirects=False
    )
    done = client.get(scanned.headers["location"], follow_redirects=False)
    return done


def test_login_pages_end_where_the_user_was_going(client, runtime) -> None:  # type: ignore[no-untyped-def]
    make_person(runtime, *ZHANG_SAN)
    done = _login_by_pages(client, *ZHANG_SAN)
    assert done.status_code == 303
    assert done.headers["location"] == "/fees"
    cookie = done.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=") and "HttpOnly" in cookie and "SameSite=lax" in cookie
    mine = client.get("/mine").text
    assert "*三" in mine and "110101********1823" in mine and "138****5678" in mine
    assert ZHANG_SAN[1] not in mine


def test_a_function_sends_a_logged_out_user_to_login_and_back(client) -> None:  # type: ignore[no-untyped-def]
    answer = client.get("/soon/medical", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=%2Fsoon%2Fmedical"
    assert client.get("/soon/certificate-verify").status_code == 200  # 缴费证明查验 needs no login


def test_login_page_shows_errors_and_keeps_the_form(client, runtime) -> None:  # type: ignore[no-untyped-def]
    make_person(runtime, *ZHANG_SAN)
    csrf = _csrf(client)
    answer = client.post(
        "/login",
        data={
            "csrf_token": csrf,
            "phone": PHONE,
            "sms_code": "123456",
            "name": "张三",
            "id_type": "resident_id",
            "id_number": "11010119900307182X",
        },
    )
    assert answer.status_code == 422
    assert "身份证号码校验位错误" in answer.text
    assert 'value="11010119900307182X"' in answer.text


def test_forms_without_the_csrf_token_are_refused(client) -> None:  # type: ignore[no-untyped-def]
    _csrf(client)
    answer = client.post("/login/sms", data={"phone": PHONE})
    assert answer.status_code == 403
    assert "页面已过期" in answer.text


def test_cookie_api_calls_need_the_csrf_header(client, runtime) -> None:  # type: ignore[no-untyped-def]
    make_person(runtime, *ZHANG_SAN)
    make_person(runtime, *LI_SI)
    _login_by_pages(client, *ZHANG_SAN)
    body = {"name": LI_SI[0], "id_number": LI_SI[1], "relation": "parent"}
    assert client.get("/api/v1/me").status_code == 200  # reading needs no token
    assert client.post("/api/v1/family", json=body).status_code == 403
    ok = client.post("/api/v1/family", json=body, headers={"X-CSRF-Token": client.cookies["shebao_csrf"]})
    assert ok.status_code == 201


def test_family_pages_add_confirm_and_remove(client, runtime) -> None:  # type: ignore[no-untyped-def]
    make_person(runtime, *ZHANG_SAN)
    make_person(runtime, *LI_SI)
    _login_by_pages(client, *ZHANG_SAN)
    csrf = client.cookies["shebao_csrf"]
    wrong = client.post(
        "/family",
        data={
            "csrf_token": csrf,
            "name": "李五",
            "id_type": "resident_id",
            "id_number": LI_SI[1],
            "relation": "parent",
        },
    )
    assert wrong.status_code == 422 and "姓名与证件号码不一致" in wrong.text
    added = client.post(
        "/family",
        data={
            "csrf_token": csrf,
            "name": LI_SI[0],
            "id_type": "resident_id",
            "id_number": LI_SI[1],
            "relation": "parent",
        },
    )
    assert "添加成功" in added.text and "370101********9973" in added.text
    remove_link = re.search(r'href="(/family/[^"]+/remove)"', added.text)
    assert remove_link is not None
    confirm = client.get(remove_link.group(1))
    assert "确定删除该家庭成员吗？" in confirm.text
    removed = client.post(remove_link.group(1), data={"csrf_token": csrf})
    assert "已删除" in removed.text and "暂无家庭成员" in removed.text


def test_logout_from_settings(client, runtime) -> None:  # type: ignore[no-untyped-def]
    make_person(runtime, *ZHANG_SAN)
    _login_by_pages(client, *ZHANG_SAN)
    assert "退出登录" in client.get("/settings").text
    out = client.post("/logout", data={"csrf_token": client.cookies["shebao_csrf"]}, follow_redirects=False)
    assert out.status_code == 303
    assert client.get("/api/v1/me").status_code == 401
    assert "请登录" in client.get("/mine").text


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/x",
        "https://evil.example",
        "/\\evil.example/face",
        "/\t/evil.example",
        "/\n/evil.example",
        "javascript:alert(1)",
        "evil.example",
        "",
    ],
)
def test_no_link_or_redirect_built_from_input_leaves_the_site(client, target: str) -> None:  # type: ignore[no-untyped-def]
    assert local_path(target) == "/"
    face = client.get("/login/face", params={"verification_id": "x", "provider_url": target})
    assert face.status_code == 200
    assert 'href="/login">开始人脸识别' in face.text
    login = client.get("/login", params={"next": target})
    assert '<input type="hidden" name="next" value="/">' in login.text


def test_the_face_page_refuses_a_backslash_link(client) -> None:  # type: ignore[no-untyped-def]
    face = client.get("/login/face?verification_id=x&provider_url=/%5Cevil.example/face")
    assert 'href="/login">开始人脸识别' in face.text
    assert 'href="/\\evil.example' not in face.text


def test_paths_on_this_site_are_kept(client) -> None:  # type: ignore[no-untyped-def]
    assert local_path("/fees?x=1") == "/fees?x=1"
    assert local_path("/sandbox/face/abc") == "/sandbox/face/abc"
    face = client.get("/login/face", params={"provider_url": "/sandbox/face/abc"})
    assert 'href="/sandbox/face/abc"' in face.text


def _start_by_pages(client, phone: str = PHONE):  # type: ignore[no-untyped-def]
    """Start a login in this browser; answers the done URL the face step would send it to."""
    csrf = _csrf(client)
    form = {"csrf_token": csrf, "phone": phone, "name": ZHANG_SAN[0], "id_type": "resident_id"}
    form["id_number"] = ZHANG_SAN[1]
    wait(client, 61)
    client.post("/login/sms", data=form)
    code = client.get("/sandbox/sms/outbox", params={"phone": phone}).json()["code"]
    started = client.post("/login", data={**form, "sms_code": code}, follow_redirects=False)
    provider = re.search(r'href="(/sandbox/face/[^"]+)"', client.get(started.headers["location"]).text)
    assert provider is not None
    scanned = client.post(
        provider.group(1) + "/scan", data={"csrf_token": csrf, "outcome": "pass"}, follow_redirects=False
    )
    location: str = scanned.headers["location"]
    return location


def test_a_login_completes_only_in_the_browser_that_started_it(app, client, runtime) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    make_person(runtime, *ZHANG_SAN)
    done_url = _start_by_pages(client)  # the attacker's own login
    with TestClient(app, raise_server_exceptions=False) as victim:
        answer = victim.get(done_url, follow_redirects=False)
        assert answer.status_code == 422
        assert "请在发起登录的浏览器中完成人脸认证" in answer.text
        assert SESSION_COOKIE not in victim.cookies
        assert victim.get("/api/v1/me").status_code == 401
    assert client.get(done_url, follow_redirects=False).status_code == 303  # the browser that started it


def test_a_login_started_through_the_api_cannot_be_completed_by_a_page(app, client, runtime) -> None:  # type: ignore[no-untyped-def]
    from tests.support.login import face_token, start_login

    make_person(runtime, *ZHANG_SAN)
    verification_id = start_login(client, *ZHANG_SAN, PHONE).json()["verification_id"]
    token = face_token(client, verification_id)
    done = client.get(
        "/login/face/done",
        params={"verification_id": verification_id, "result_token": token},
        follow_redirects=False,
    )
    assert done.status_code == 422
    assert SESSION_COOKIE not in client.cookies


def test_an_empty_login_form_names_every_missing_field(client) -> None:  # type: ignore[no-untyped-def]
    answer = client.post("/login", data={"csrf_token": _csrf(client), "id_type": "resident_id"})
    assert answer.status_code == 422
    assert "请填写手机号码、短信验证码、姓名、证件号码" in answer.text
    partly = client.post(
        "/login", data={"csrf_token": _csrf(client), "phone": PHONE, "name": "张三", "id_type": "resident_id"}
    )
    assert "请填写短信验证码、证件号码" in partly.text
    assert f'value="{PHONE}"' in partly.text


def test_get_code_counts_down_the_true_wait(client, runtime, set_now, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    monkeypatch.setattr("shebao.kit.clock.real_now", lambda: datetime(2026, 11, 29, 12, 0, tzinfo=UTC))
    set_now("2025-11-20T09:00:00+08:00")
    form = {"csrf_token": _csrf(client), "phone": PHONE, "id_type": "resident_id"}
    sent = client.post("/login/sms", data=form)
    assert 'data-countdown="60"' in sent.text
    assert '<script src="/static/login.js" defer></script>' in sent.text
    set_now("2025-11-20T09:00:25+08:00")
    again = client.post("/login/sms", data=form)
    assert again.status_code == 429
    assert 'data-countdown="35"' in again.text
    assert "验证码已发送，请35秒后再获取" in again.text
    assert client.get("/static/login.js").status_code == 200


def test_the_login_page_shows_a_captcha_when_one_is_needed(client, runtime) -> None:  # type: ignore[no-untyped-def]
    from shebao.identity.ratelimit import LOGIN_FAILURES_BEFORE_CAPTCHA, RateLimiter, key_of

    with transaction(runtime) as s:
        for _ in range(10):
            RateLimiter(s).hit(LOGIN_FAILURES_BEFORE_CAPTCHA, key_of("ip", "testclient"), runtime.clock.now())
    csrf = _csrf(client)
    form = {"csrf_token": csrf, "phone": PHONE, "sms_code": "123456", "name": ZHANG_SAN[0]}
    form |= {"id_type": "resident_id", "id_number": ZHANG_SAN[1]}
    asked = client.post("/login", data=form)
    assert asked.status_code == 429
    assert "操作较多，请输入图形验证码后继续" in asked.text
    image = re.search(
        r'<img id="captcha_image" class="captcha" src="(data:image/png;base64,[^"]+)"', asked.text
    )
    captcha_id = re.search(r'name="captcha_id" value="([^"]+)"', asked.text)
    assert image is not None and captcha_id is not None
    answer = client.get(f"/sandbox/auth/captcha/{captcha_id.group(1)}").json()["answer"]
    solved = client.post("/login", data={**form, "captcha_id": captcha_id.group(1), "captcha_answer": answer})
    assert solved.status_code == 422  # past the captcha: the made-up code is what is wrong now
    assert "短信验证码错误或已失效" in solved.text
