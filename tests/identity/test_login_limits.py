"""Login limits that stop guessing without handing a stranger the power to lock a citizen out
(docs/decisions/0009-login-limits.md). Each address is a client of its own, as behind different NATs."""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from shebao.identity.captcha import ALPHABET
from shebao.identity.models import LoginVerification, SmsCode
from shebao.identity.ratelimit import LOGIN_FAILURES_PER_ADDRESS, RateLimiter, key_of
from tests.support.login import face_token, wait
from tests.support.people import LI_SI, WANG_WU, ZHANG_SAN, make_person, transaction

PHONE = "13812345678"
CITIZEN = "198.51.100.10"
START = "2025-11-20T09:00:00+08:00"

Client = Callable[[str], TestClient]


@pytest.fixture
def at(app) -> Iterator[Client]:  # type: ignore[no-untyped-def]
    """A client at an address of its own."""
    opened: list[TestClient] = []

    def client_at(address: str) -> TestClient:
        client = TestClient(app, raise_server_exceptions=False, client=(address, 50000))
        client.__enter__()
        opened.append(client)
        return client

    yield client_at
    for client in opened:
        client.__exit__(None, None, None)


@pytest.fixture
def zhang(runtime, set_now, monkeypatch):  # type: ignore[no-untyped-def]
    # Real time stands still, so the rehearsal clock moves only when a test moves it: exact waits.
    monkeypatch.setattr("shebao.kit.clock.real_now", lambda: datetime(2026, 11, 29, 12, 0, tzinfo=UTC))
    set_now(START)
    make_person(runtime, *LI_SI)
    return make_person(runtime, *ZHANG_SAN, phone=None)


def move_clock(client: TestClient, moment: datetime) -> None:
    assert client.post("/sandbox/clock", json={"now": moment.isoformat()}).status_code == 200


def ask_code(client: TestClient, phone: str = PHONE, **captcha: str) -> Any:
    return client.post("/api/v1/auth/sms-code", json={"phone": phone, **captcha})


def code_for(client: TestClient, phone: str = PHONE) -> str:
    code: str = client.get("/sandbox/sms/outbox", params={"phone": phone}).json()["code"]
    return code


def try_login(
    client: TestClient, code: str, person: tuple[str, str] = ZHANG_SAN, phone: str = PHONE, **extra: str
) -> Any:
    body = {"phone": phone, "sms_code": code, "name": person[0], "id_number": person[1], **extra}
    return client.post("/api/v1/auth/login", json=body)


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def solved_captcha(client: TestClient) -> dict[str, str]:
    issued = client.get("/api/v1/auth/captcha").json()
    answer = client.get(f"/sandbox/auth/captcha/{issued['captcha_id']}").json()["answer"]
    return {"captcha_id": issued["captcha_id"], "captcha_answer": answer}


def test_wrong_codes_from_other_addresses_never_burn_the_citizens_code(zhang, at) -> None:  # type: ignore[no-untyped-def]
    citizen = at(CITIZEN)
    assert ask_code(citizen).status_code == 200
    code = code_for(citizen)
    # Six strangers know the phone (and even the name and ID): five wrong codes each.
    for index in range(6):
        stranger = at(f"203.0.113.{index + 1}")
        for person in (ZHANG_SAN, LI_SI, ZHANG_SAN, WANG_WU, ZHANG_SAN):
            assert try_login(stranger, wrong(code), person).status_code == 422
    started = try_login(citizen, code)
    assert started.status_code == 200, started.text


def test_five_wrong_codes_from_the_asking_address_kill_the_code_and_lock_the_pair_for_what_it_says(  # type: ignore[no-untyped-def]
    zhang, at
) -> None:
    citizen, elsewhere = at(CITIZEN), at("203.0.113.9")
    assert ask_code(citizen).status_code == 200
    code = code_for(citizen)
    assert [try_login(citizen, wrong(code)).status_code for _ in range(5)] == [422] * 5
    locked = try_login(citizen, code)
    assert locked.status_code == 429
    assert locked.json()["error"] == {"code": "too_many_failures", "message": "尝试次数过多，请15分钟后再试"}
    assert locked.headers["retry-after"] == "900"
    start = datetime.fromisoformat(START)
    move_clock(citizen, start + timedelta(minutes=10, seconds=30))
    later = try_login(citizen, code)
    assert later.json()["error"]["message"] == "尝试次数过多，请5分钟后再试"
    assert later.headers["retry-after"] == "270"
    # The lock is the pair's at that address only: elsewhere the same person is not locked out.
    assert ask_code(elsewhere).status_code == 200
    assert try_login(elsewhere, code_for(elsewhere)).status_code == 200
    # At the stated end the lock is over (a fresh code: the old one died with its fifth wrong try).
    move_clock(citizen, start + timedelta(minutes=15))
    assert ask_code(citizen).status_code == 200
    assert try_login(citizen, code_for(citizen)).status_code == 200


def test_the_dead_code_stays_dead(zhang, at) -> None:  # type: ignore[no-untyped-def]
    citizen = at(CITIZEN)
    ask_code(citizen)
    code = code_for(citizen)
    for person in (LI_SI, WANG_WU, LI_SI, WANG_WU, LI_SI):  # five pairs: no pair is locked
        assert try_login(citizen, wrong(code), person).status_code == 422
    answer = try_login(citizen, code)
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "sms_code_invalid"


def test_a_code_dies_after_a_few_name_or_id_mismatches_whatever_x_forwarded_for_says(zhang, at) -> None:  # type: ignore[no-untyped-def]
    guesser = at(CITIZEN)
    ask_code(guesser)
    code = code_for(guesser)
    guesses = [
        ("张四", ZHANG_SAN[1]),
        ("张五", ZHANG_SAN[1]),
        ("李五", LI_SI[1]),
        ("张三", LI_SI[1]),
        WANG_WU,
    ]
    for index, (name, id_number) in enumerate(guesses):
        forged = {"X-Forwarded-For": f"192.0.2.{index + 1}"}
        body = {"phone": PHONE, "sms_code": code, "name": name, "id_number": id_number}
        answer = guesser.post("/api/v1/auth/login", json=body, headers=forged)
        assert answer.status_code == 422
    found = try_login(guesser, code)
    assert found.status_code == 422
    assert found.json()["error"]["code"] == "sms_code_invalid"


def test_mismatches_from_other_addresses_count_apart(zhang, at, runtime) -> None:  # type: ignore[no-untyped-def]
    citizen = at(CITIZEN)
    ask_code(citizen)
    code = code_for(citizen)
    for index in range(5):  # someone who saw the SMS, from five addresses, guessing names
        assert try_login(at(f"203.0.113.{index + 1}"), code, ("张四", ZHANG_SAN[1])).status_code == 422
    assert try_login(at("203.0.113.99"), code).status_code == 422  # no foreign tries left on this code
    with runtime.db.session() as s:
        row = s.scalars(select(SmsCode)).one()
        assert (row.attempts, row.foreign_attempts, row.used_at) == (0, 5, None)
    assert try_login(citizen, code).status_code == 200  # the citizen's own tries are untouched


def test_a_login_clears_the_pairs_failures(zhang, at) -> None:  # type: ignore[no-untyped-def]
    citizen = at(CITIZEN)
    ask_code(citizen)
    code = code_for(citizen)
    assert [try_login(citizen, wrong(code)).status_code for _ in range(4)] == [422] * 4
    verification_id = try_login(citizen, code).json()["verification_id"]
    done = citizen.post(
        "/api/v1/auth/face/complete",
        json={"verification_id": verification_id, "result_token": face_token(citizen, verification_id)},
    )
    assert done.status_code == 200
    wait(citizen, 61)
    ask_code(citizen)
    fresh = code_for(citizen)
    assert [try_login(citizen, wrong(fresh)).status_code for _ in range(4)] == [422] * 4


def test_sms_quota_counts_per_phone_and_address_under_a_global_ceiling(zhang, at) -> None:  # type: ignore[no-untyped-def]
    stranger, citizen = at("203.0.113.1"), at(CITIZEN)
    for _ in range(10):
        assert ask_code(stranger).status_code == 200
        wait(stranger, 61)
    capped = ask_code(stranger)
    assert capped.status_code == 429
    assert capped.json()["error"]["message"] == "今日获取验证码次数已达上限，请24小时后再试"
    # Ten codes went to this phone today: the citizen is asked for a captcha, not refused.
    asked = ask_code(citizen)
    assert asked.status_code == 429
    assert asked.json()["error"]["code"] == "captcha_required"
    assert ask_code(citizen, **solved_captcha(citizen)).status_code == 200
    # The ceiling for the phone, whoever asks: thirty a day.
    for index in range(2, 21):
        assert ask_code(at(f"203.0.113.{index}"), **solved_captcha(citizen)).status_code == 200
    ceiling = ask_code(at("203.0.113.50"), **solved_captcha(citizen))
    assert ceiling.status_code == 429
    assert ceiling.json()["error"]["code"] == "sms_daily_cap"


def test_one_code_a_minute_per_phone_and_address_with_the_true_wait(zhang, at) -> None:  # type: ignore[no-untyped-def]
    citizen = at(CITIZEN)
    sent = ask_code(citizen)
    assert sent.json() == {"status": "sent", "resend_after_seconds": 60}
    move_clock(citizen, datetime.fromisoformat(START) + timedelta(seconds=25))
    again = ask_code(citizen)
    assert again.status_code == 429
    assert again.json()["error"] == {"code": "sms_too_frequent", "message": "验证码已发送，请35秒后再获取"}
    assert again.headers["retry-after"] == "35"
    assert ask_code(at("203.0.113.1")).status_code == 200  # another address is not held up by it


def test_failures_from_one_address_ask_for_a_captcha_not_a_lockout(zhang, at) -> None:  # type: ignore[no-untyped-def]
    school = at(CITIZEN)

    def attempt(phone: str, **captcha: str) -> Any:
        platform = school.post("/sandbox/platform-phone", json={"phone": phone}).json()["platform_phone_code"]
        body = {"platform_phone_code": platform, "name": "冒名者", "id_number": ZHANG_SAN[1], **captcha}
        return school.post("/api/v1/auth/login", json=body)

    assert [attempt(f"1390000{index:04d}").status_code for index in range(10)] == [422] * 10
    asked = attempt("13911112222")
    assert asked.status_code == 429
    assert asked.json()["error"]["message"] == "操作较多，请输入图形验证码后继续"
    captcha = solved_captcha(school)
    bad = attempt("13911112222", captcha_id=captcha["captcha_id"], captcha_answer="0000")
    assert bad.status_code == 422
    assert bad.json()["error"]["code"] == "captcha_invalid"
    reused = attempt("13911112222", **captcha)  # checked once, right or wrong: spent
    assert reused.json()["error"]["code"] == "captcha_invalid"
    # The citizen behind the same address solves one and logs in.
    ask = ask_code(school, **solved_captcha(school))
    assert ask.status_code == 200
    assert try_login(school, code_for(school), **solved_captcha(school)).status_code == 200


def test_an_address_is_locked_only_past_the_hard_limit_and_for_what_it_says(runtime) -> None:  # type: ignore[no-untyped-def]
    now = datetime.fromisoformat(START)
    key = key_of("ip", "203.0.113.1")
    with transaction(runtime) as s:
        limiter = RateLimiter(s)
        for _ in range(99):
            limiter.fail(LOGIN_FAILURES_PER_ADDRESS, key, now)
        assert limiter.locked_until(LOGIN_FAILURES_PER_ADDRESS, key, now) is None
        limiter.fail(LOGIN_FAILURES_PER_ADDRESS, key, now)
        assert limiter.locked_until(LOGIN_FAILURES_PER_ADDRESS, key, now) == now + timedelta(minutes=15)
        assert limiter.count(LOGIN_FAILURES_PER_ADDRESS, key, now) == 0  # counting starts afresh
        assert limiter.locked_until(LOGIN_FAILURES_PER_ADDRESS, key, now + timedelta(minutes=15)) is None


def test_the_captcha_is_an_image_checked_server_side(client) -> None:  # type: ignore[no-untyped-def]
    issued = client.get("/api/v1/auth/captcha")
    assert issued.status_code == 200
    image = issued.json()["image"]
    assert image.startswith("data:image/png;base64,")
    assert base64.b64decode(image.removeprefix("data:image/png;base64,"))[:8] == b"\x89PNG\r\n\x1a\n"
    answer = client.get(f"/sandbox/auth/captcha/{issued.json()['captcha_id']}").json()["answer"]
    assert len(answer) == 4 and set(answer) <= set(ALPHABET)  # "2345".isupper() is False: all digits happen


@pytest.mark.postgres_only
def test_one_code_starts_one_login_however_many_race_with_it(zhang, at, runtime) -> None:  # type: ignore[no-untyped-def]
    """Eight logins with the same right code at once (a double tap, a replayed request): one goes on to
    the face step, the others are told the code is spent."""
    clients = [at(CITIZEN) for _ in range(8)]
    assert ask_code(clients[0]).status_code == 200
    code = code_for(clients[0])
    barrier, answers, lock = threading.Barrier(len(clients)), [], threading.Lock()

    def log_in(client: TestClient) -> None:
        barrier.wait(timeout=20)
        answer = try_login(client, code)
        with lock:
            answers.append((answer.status_code, answer.json().get("error", {}).get("message")))

    threads = [threading.Thread(target=log_in, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(answers, key=str) == [(200, None)] + [(422, "短信验证码错误或已失效，请重新获取")] * 7
    with transaction(runtime) as s:
        assert len(s.scalars(select(LoginVerification)).all()) == 1
