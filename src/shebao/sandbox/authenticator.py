"""The operator's authenticator app, simulated for the demo: `/sandbox/authenticator`.

A real operator scans the otpauth:// QR code with a phone app that shows a new six-digit code every 30
seconds. In the demo the app is this page: the demo enrols its operators here (in memory, like a phone
holds its accounts), and the page shows each account's current code from real time, as the phone would.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import pyotp
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel

from shebao.web.templating import render

router = APIRouter(prefix="/sandbox/authenticator", tags=["sandbox"])

_accounts: dict[str, pyotp.TOTP] = {}  # label → the enrolled account, in this process only


def enrol(uri: str) -> str:
    """Add the account an otpauth:// URI describes (what scanning the QR code does); answers its label."""
    totp = pyotp.parse_uri(uri)
    if not isinstance(totp, pyotp.TOTP) or totp.name is None:
        raise ValueError("not a TOTP enrolment URI")
    _accounts[totp.name] = totp
    return totp.name


def forget_all() -> None:
    _accounts.clear()


@dataclass(frozen=True)
class _Shown:
    label: str
    code: str
    seconds_left: int


def _shown() -> list[_Shown]:
    now = time.time()
    return [
        _Shown(label, totp.at(now), math.ceil(totp.interval - now % totp.interval))  # 1 … 30, never 0
        for label, totp in sorted(_accounts.items())
    ]


class AuthenticatorCode(BaseModel):
    label: str
    code: str
    seconds_left: int


@router.get("/codes", summary="模拟身份验证器：各账户当前的动态口令", response_model=list[AuthenticatorCode])
def codes() -> list[AuthenticatorCode]:
    return [AuthenticatorCode(label=s.label, code=s.code, seconds_left=s.seconds_left) for s in _shown()]


@router.get("", summary="模拟身份验证器（页面）", response_class=HTMLResponse)
def page(request: Request) -> HTMLResponse:
    return render(request, "sandbox/authenticator.html", {"accounts": _shown(), "title": "模拟身份验证器"})
