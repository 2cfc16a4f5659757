"""The demo's operators: printed by `shebao demo`, enrolled in the sandbox's authenticator, able to log in
with the code that page shows and nothing else."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from shebao.cli import DEMO_CLOCK
from shebao.demo import load_demo
from shebao.runtime import Runtime
from shebao.sandbox import authenticator


def test_demo_operators_log_in_with_the_authenticators_code(
    runtime: Runtime,
    set_now,  # type: ignore[no-untyped-def]
    client: TestClient,
) -> None:
    set_now(DEMO_CLOCK)
    authenticator.forget_all()
    text = "\n".join(load_demo(runtime).lines)
    passwords = dict(re.findall(r"(demo\.\w+) +\S+ +初始密码 (\S+)", text))
    assert sorted(passwords) == ["demo.admin", "demo.approver", "demo.operator", "demo.viewer"]
    assert "    demo.approver  审核员  初始密码 " in text

    codes = {item["label"]: item["code"] for item in client.get("/sandbox/authenticator/codes").json()}
    assert sorted(codes) == sorted(passwords)
    page = client.get("/sandbox/authenticator")
    assert page.status_code == 200 and "demo.operator" in page.text

    approver = {"username": "demo.approver", "totp": codes["demo.approver"]}
    wrong = client.post("/api/v1/console/login", json={**approver, "password": passwords["demo.admin"]})
    assert wrong.status_code == 401
    answer = client.post("/api/v1/console/login", json={**approver, "password": passwords["demo.approver"]})
    assert answer.status_code == 200, answer.text
    assert answer.json()["password_change_required"] is True
    authenticator.forget_all()


def test_an_enrolment_that_is_not_totp_is_refused() -> None:
    with pytest.raises(ValueError, match="not a TOTP"):
        authenticator.enrol("otpauth://hotp/x?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&counter=1")


def test_the_seconds_left_run_from_30_to_1_never_0(monkeypatch: pytest.MonkeyPatch) -> None:
    authenticator.enrol("otpauth://totp/shebao:demo.x?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=shebao")
    try:
        for moment, left in ((1_700_000_010.0, 30), (1_700_000_039.6, 1), (1_700_000_025.0, 15)):
            monkeypatch.setattr(authenticator.time, "time", lambda moment=moment: moment)
            assert [shown.seconds_left for shown in authenticator._shown()] == [left]
    finally:
        authenticator.forget_all()
