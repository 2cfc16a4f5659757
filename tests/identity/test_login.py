from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from shebao.audit.models import AuditEntry
from shebao.identity.models import LoginSession, SmsCode
from tests.support.login import face_token, login, sms_code, start_login
from tests.support.people import LI_SI, ZHANG_SAN, make_person, transaction

PHONE = "13812345678"


@pytest.fixture
def zhang(runtime):  # type: ignore[no-untyped-def]
    return make_person(runtime, *ZHANG_SAN, phone=None)


def test_full_login_by_sms_and_face_then_me_and_logout(client, zhang, runtime) -> None:  # type: ignore[no-untyped-def]
    headers = login(client, *ZHANG_SAN, PHONE)
    me = client.get("/api/v1/me", headers=headers)
    assert me.status_code == 200
    assert me.json() == {
        "id": str(zhang.id),
        "name": "*三",
        "id_type": "resident_id",
        "id_type_label": "居民身份证",
        "id_number": "110101********1823",
        "phone": "138****5678",
        "taxpayer_id": "110101********1823",
    }
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 200
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    with runtime.db.session() as s:
        actions = s.scalars(select(AuditEntry.action).order_by(AuditEntry.occurred_at)).all()
    assert actions == ["login", "logout"]


def test_login_from_a_mini_program_with_platform_phone(client, zhang) -> None:  # type: ignore[no-untyped-def]
    code = client.post("/sandbox/platform-phone", json={"phone": PHONE}).json()["platform_phone_code"]
    started = client.post(
        "/api/v1/auth/login",
        json={
            "platform_phone_code": code,
            "name": ZHANG_SAN[0],
            "id_type": "resident_id",
            "id_number": ZHANG_SAN[1],
        },
        headers={"X-Shebao-Channel": "alipay_mp"},
    )
    assert started.status_code == 200, started.text
    verification_id = started.json()["verification_id"]
    assert started.json()["face"] == {
        "provider": "sandbox",
        "url": f"/sandbox/face/{verification_id}",
        "params": {},
    }
    done = client.post(
        "/api/v1/auth/face/complete",
        json={"verification_id": verification_id, "result_token": face_token(client, verification_id)},
    )
    assert done.status_code == 200
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {done.json()['access_token']}"})
    assert me.json()["phone"] == "138****5678"
    reused = client.post(
        "/api/v1/auth/login",
        json={"platform_phone_code": code, "name": ZHANG_SAN[0], "id_number": ZHANG_SAN[1]},
    )
    assert reused.status_code == 422
    assert reused.json()["error"]["message"] == "手机号授权已失效，请重新授权"


@pytest.mark.parametrize(
    ("name", "id_number"),
    [("张三丰", ZHANG_SAN[1]), (LI_SI[0], LI_SI[1])],  # wrong name; a valid document nobody enrolled
)
def test_name_mismatch_and_unknown_document_give_the_same_answer(client, zhang, name, id_number) -> None:  # type: ignore[no-untyped-def]
    answer = start_login(client, name, id_number, PHONE)
    assert answer.status_code == 422
    assert answer.json()["error"] == {"code": "name_mismatch", "message": "姓名与证件号码不一致"}


def test_bad_document_gets_its_own_message(client, zhang) -> None:  # type: ignore[no-untyped-def]
    answer = start_login(client, ZHANG_SAN[0], "11010119900307182X", PHONE)
    assert answer.status_code == 422
    assert answer.json()["error"]["message"] == "身份证号码校验位错误"


def test_face_failure_and_replayed_or_foreign_tokens(client, zhang, runtime) -> None:  # type: ignore[no-untyped-def]
    make_person(runtime, *LI_SI)
    first = start_login(client, *ZHANG_SAN, PHONE).json()["verification_id"]
    failed = client.post(
        "/api/v1/auth/face/complete",
        json={"verification_id": first, "result_token": face_token(client, first, "fail")},
    )
    assert failed.status_code == 422
    assert failed.json()["error"]["message"] == "人脸识别未通过，请重新认证"
    # The failed verification cannot be completed afterwards, not even with a passing token.
    again = client.post(
        "/api/v1/auth/face/complete",
        json={"verification_id": first, "result_token": face_token(client, first)},
    )
    assert again.status_code == 422
    assert again.json()["error"]["message"] == "认证已失效，请重新登录"

    second = start_login(client, *ZHANG_SAN, PHONE).json()["verification_id"]
    other = start_login(client, *LI_SI, "13900001111").json()["verification_id"]
    foreign = client.post(
        "/api/v1/auth/face/complete",
        json={"verification_id": second, "result_token": face_token(client, other)},
    )
    assert foreign.status_code == 422
    third = start_login(client, *ZHANG_SAN, PHONE).json()["verification_id"]
    tampered = face_token(client, third)[:-2] + "xx"
    assert (
        client.post(
            "/api/v1/auth/face/complete", json={"verification_id": third, "result_token": tampered}
        ).status_code
        == 422
    )
    # Any failed check ends its verification: the citizen starts again and passes.
    fourth = start_login(client, *ZHANG_SAN, PHONE).json()["verification_id"]
    token = face_token(client, fourth)
    ok = client.post("/api/v1/auth/face/complete", json={"verification_id": fourth, "result_token": token})
    assert ok.status_code == 200
    replay = client.post(
        "/api/v1/auth/face/complete", json={"verification_id": fourth, "result_token": token}
    )
    assert replay.status_code == 422


def test_expired_face_token_is_refused(client, zhang, runtime, set_now) -> None:  # type: ignore[no-untyped-def]
    set_now("2025-11-20T09:00:00+08:00")
    verification_id = start_login(client, *ZHANG_SAN, PHONE).json()["verification_id"]
    token = face_token(client, verification_id)
    with transaction(runtime) as s:
        runtime.clock.move_to(s, datetime.fromisoformat("2025-11-20T09:07:30+08:00"))
    late = client.post(
        "/api/v1/auth/face/complete", json={"verification_id": verification_id, "result_token": token}
    )
    assert late.status_code == 422
    assert late.json()["error"]["message"] == "人脸识别未通过，请重新认证"


def test_sms_code_is_single_use_and_expires(client, zhang, runtime, set_now) -> None:  # type: ignore[no-untyped-def]
    set_now("2025-11-20T09:00:00+08:00")
    code = sms_code(client, PHONE)
    body = {"phone": PHONE, "sms_code": code, "name": ZHANG_SAN[0], "id_number": ZHANG_SAN[1]}
    assert client.post("/api/v1/auth/login", json=body).status_code == 200
    reused = client.post("/api/v1/auth/login", json=body)
    assert reused.status_code == 422
    assert reused.json()["error"]["message"] == "短信验证码错误或已失效，请重新获取"
    with transaction(runtime) as s:
        runtime.clock.move_to(s, datetime.fromisoformat("2025-11-20T09:02:00+08:00"))
    fresh = sms_code(client, PHONE)
    with transaction(runtime) as s:
        runtime.clock.move_to(s, datetime.fromisoformat("2025-11-20T09:13:30+08:00"))
    expired = client.post("/api/v1/auth/login", json={**body, "sms_code": fresh})
    assert expired.status_code == 422
    # Ten minutes (the helper sends a minute on): time to read the code out to an elderly citizen.
    slow = sms_code(client, PHONE)
    with transaction(runtime) as s:
        runtime.clock.move_to(s, datetime.fromisoformat("2025-11-20T09:24:00+08:00"))
    assert client.post("/api/v1/auth/login", json={**body, "sms_code": slow}).status_code == 200


def test_sms_codes_are_stored_hashed_and_the_outbox_encrypted(client, runtime) -> None:  # type: ignore[no-untyped-def]
    code = sms_code(client, PHONE)
    with runtime.db.engine.connect() as conn:
        stored = conn.exec_driver_sql("SELECT code_hash, phone_index FROM sms_codes").one()
        outbox = conn.exec_driver_sql("SELECT phone, code FROM sandbox_sms_outbox").one()
    assert code not in stored[0] and PHONE not in stored[1]
    assert PHONE.encode() not in bytes(outbox[0]) and code.encode() not in bytes(outbox[1])
    assert len(code) == 6 and code.isdigit()


def test_idle_expiry_ends_the_session(client, zhang, runtime, set_now) -> None:  # type: ignore[no-untyped-def]
    set_now("2025-11-20T09:00:00+08:00")
    headers = login(client, *ZHANG_SAN, PHONE)
    with transaction(runtime) as s:
        runtime.clock.move_to(s, datetime.fromisoformat("2025-11-20T09:29:00+08:00"))
    assert client.get("/api/v1/me", headers=headers).status_code == 200  # slides the idle expiry
    with transaction(runtime) as s:
        runtime.clock.move_to(s, datetime.fromisoformat("2025-11-20T09:58:00+08:00"))
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    with transaction(runtime) as s:
        runtime.clock.move_to(s, datetime.fromisoformat("2025-11-20T10:29:00+08:00"))
    expired = client.get("/api/v1/me", headers=headers)
    assert expired.status_code == 401
    assert expired.json()["error"]["message"] == "请先登录"


def test_tokens_are_stored_hashed(client, zhang, runtime) -> None:  # type: ignore[no-untyped-def]
    token = login(client, *ZHANG_SAN, PHONE)["Authorization"].removeprefix("Bearer ")
    with runtime.db.session() as s:
        hashes = s.scalars(select(LoginSession.token_hash)).all()
        codes = s.scalars(select(SmsCode.code_hash)).all()
    assert token not in hashes and len(hashes) == 1 and len(codes) == 1


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"name": "张三"},
        {"name": "张三", "id_number": "x", "id_type": "driver_licence", "phone": PHONE},
        {"name": "张三", "id_number": ZHANG_SAN[1], "phone": "123", "sms_code": "000000"},
        "not json",
    ],
)
def test_bad_login_input_is_4xx_in_chinese(client, body) -> None:  # type: ignore[no-untyped-def]
    answer = client.post("/api/v1/auth/login", json=body)
    assert 400 <= answer.status_code < 500
    message = answer.json()["error"]["message"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in message)


def test_unknown_or_malformed_verification_is_refused(client) -> None:  # type: ignore[no-untyped-def]
    for verification_id in ["nope", "00000000-0000-7000-8000-000000000000"]:
        answer = client.post(
            "/api/v1/auth/face/complete", json={"verification_id": verification_id, "result_token": "x"}
        )
        assert answer.status_code == 422


def test_failures_across_a_window_boundary_still_add_up(client, zhang, runtime, set_now) -> None:  # type: ignore[no-untyped-def]
    set_now("2025-11-20T09:14:00+08:00")  # counter windows are 15 minutes, the next one opens at 09:15

    def attempt() -> int:
        code = client.post("/sandbox/platform-phone", json={"phone": "13900001111"}).json()[
            "platform_phone_code"
        ]
        body = {"platform_phone_code": code, "name": "冒名者", "id_number": ZHANG_SAN[1]}
        status: int = client.post("/api/v1/auth/login", json=body).status_code
        return status

    assert [attempt() for _ in range(3)] == [422] * 3
    with transaction(runtime) as s:
        runtime.clock.move_to(s, datetime.fromisoformat("2025-11-20T09:16:00+08:00"))
    assert [attempt() for _ in range(2)] == [422] * 2
    assert attempt() == 429
