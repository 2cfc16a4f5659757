"""Sandbox routes. The app mounts this module only when SHEBAO_ENV is not production."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, FastAPI
from pydantic import BaseModel

from shebao.deps import Clock, WriteSession
from shebao.errors import ValidationFailed
from shebao.kit.clock import ClockError

router = APIRouter(prefix="/sandbox", tags=["sandbox"])


class ClockMove(BaseModel):
    now: datetime


class ClockState(BaseModel):
    now: datetime


@router.post("/clock", summary="向前调整服务时钟（演练用）", response_model=ClockState)
def move_clock(body: ClockMove, session: WriteSession, clock: Clock) -> ClockState:
    try:
        moved = clock.move_to(session, body.now)
    except ClockError as exc:
        raise ValidationFailed(str(exc)) from exc
    return ClockState(now=moved)


@router.get("/clock", summary="当前服务时钟", response_model=ClockState)
def read_clock(clock: Clock) -> ClockState:
    return ClockState(now=clock.now())


def include(app: FastAPI) -> None:
    from shebao.sandbox.alipay.endpoints import router as alipay_router
    from shebao.sandbox.authenticator import router as authenticator_router
    from shebao.sandbox.bank.endpoints import router as bank_router
    from shebao.sandbox.certificates import router as certificates_router
    from shebao.sandbox.client import include as client_switch
    from shebao.sandbox.identity_endpoints import router as identity_router
    from shebao.sandbox.unionpay.endpoints import router as unionpay_router
    from shebao.sandbox.wechat.endpoints import router as wechat_router

    app.include_router(router)
    app.include_router(identity_router)
    app.include_router(alipay_router)
    app.include_router(bank_router)
    app.include_router(wechat_router)
    app.include_router(unionpay_router)
    app.include_router(certificates_router)
    app.include_router(authenticator_router)
    client_switch(app)
