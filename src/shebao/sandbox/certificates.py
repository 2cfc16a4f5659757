"""The certificate renderer's outage switch and the captcha's answer, for tests and the demo."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from shebao.certificates.models import Captcha
from shebao.certificates.repository import CertificateRepository
from shebao.certificates.schemas import RenderFaults
from shebao.deps import DbSession, WriteSession
from shebao.errors import NotFound

router = APIRouter(prefix="/sandbox", tags=["sandbox"])


@router.post("/certificates/fail-next", response_model=RenderFaults, summary="让接下来 N 次缴费证明制作失败")
def fail_next(body: RenderFaults, session: WriteSession) -> RenderFaults:
    CertificateRepository(session).set_render_faults(body.count)
    return body


@router.get("/captcha/{captcha_id}", summary="查看图片验证码的答案（演练用）")
def captcha_answer(captcha_id: str, session: DbSession) -> dict[str, str]:
    try:
        key = uuid.UUID(captcha_id)
    except ValueError as exc:
        raise NotFound("未找到该验证码") from exc
    found = session.get(Captcha, key)
    if found is None or found.sandbox_answer is None:
        raise NotFound("未找到该验证码")
    return {"answer": found.sandbox_answer}
