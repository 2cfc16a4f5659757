"""The login's rows go once no rule reads them: SMS codes, counters, locks, captchas, verifications after
two days or on expiry, sessions thirty days after they end."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from shebao.identity.models import (
    LoginCaptcha,
    LoginSession,
    LoginVerification,
    RateCounter,
    RateLock,
    SmsCode,
)
from shebao.identity.purge import purge
from tests.support.login import login, sms_code
from tests.support.people import ZHANG_SAN, make_person, transaction

PHONE = "13812345678"
TABLES = {
    "sms_codes": SmsCode,
    "rate_counters": RateCounter,
    "rate_locks": RateLock,
    "login_captchas": LoginCaptcha,
    "login_verifications": LoginVerification,
    "login_sessions": LoginSession,
}


def _rows(runtime) -> dict[str, int]:  # type: ignore[no-untyped-def]
    with transaction(runtime) as s:
        return {
            name: s.scalar(select(func.count()).select_from(model)) or 0 for name, model in TABLES.items()
        }


def test_purge_keeps_what_a_rule_still_reads_and_deletes_the_rest(client, runtime, set_now) -> None:  # type: ignore[no-untyped-def]
    set_now("2025-11-20T09:00:00+08:00")
    make_person(runtime, *ZHANG_SAN, phone=PHONE)
    login(client, *ZHANG_SAN, PHONE)  # a code, a verification, a session, the send counted
    wrong = {"phone": PHONE, "sms_code": "000000", "name": ZHANG_SAN[0], "id_number": ZHANG_SAN[1]}
    sms_code(client, PHONE)
    assert client.post("/api/v1/auth/login", json=wrong).status_code == 422  # a failure counted
    assert client.get("/api/v1/auth/captcha").status_code == 200
    made = _rows(runtime)
    assert made["sms_codes"] == 2 and made["login_verifications"] == 1 and made["login_sessions"] == 1
    assert made["login_captchas"] == 1 and made["rate_counters"] >= 2
    start = runtime.clock.now()

    with transaction(runtime) as s:  # an hour on: every rule still reads all of it
        assert purge(s, start + timedelta(minutes=59)) == dict.fromkeys(TABLES, 0)
    assert _rows(runtime) == made

    with transaction(runtime) as s:  # two days on: the session (12 h at most, then 30 days kept) stays
        gone = purge(s, start + timedelta(days=2, minutes=1))
    assert gone == {**made, "login_sessions": 0}
    assert _rows(runtime) == {**dict.fromkeys(TABLES, 0), "login_sessions": 1}

    with transaction(runtime) as s:
        assert purge(s, start + timedelta(days=31)) == {**dict.fromkeys(TABLES, 0), "login_sessions": 1}
    assert _rows(runtime) == dict.fromkeys(TABLES, 0)
