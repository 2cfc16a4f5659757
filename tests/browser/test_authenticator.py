"""The sandbox's authenticator page (the demo operator's phone app) shows the next code by itself."""

from __future__ import annotations

import pyotp
import pytest

from shebao.sandbox import authenticator

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def test_the_page_turns_to_the_next_code_without_a_reload(page, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    authenticator.enrol(f"otpauth://totp/shebao:demo.x?secret={SECRET}&issuer=shebao")
    totp = pyotp.TOTP(SECRET)
    try:
        moment = [1_700_000_035.0]  # 5 seconds left of its 30
        monkeypatch.setattr(authenticator.time, "time", lambda: moment[0])
        page.goto("/sandbox/authenticator")
        row = page.locator('[data-label="demo.x"]')
        first = totp.at(moment[0])
        assert row.locator('[data-field="code"]').inner_text() == f"{first[:3]} {first[3:]}"
        assert row.locator('[data-field="seconds-left"]').inner_text() == "5"

        moment[0] = 1_700_000_041.0  # the next period, 29 seconds left
        following = totp.at(moment[0])
        assert following != first
        row.locator('[data-field="code"]').filter(has_text=f"{following[:3]} {following[3:]}").wait_for(
            timeout=5000
        )
        assert row.locator('[data-field="seconds-left"]').inner_text() == "29"
        assert page.url.endswith("/sandbox/authenticator")  # the same page: no navigation
    finally:
        authenticator.forget_all()
