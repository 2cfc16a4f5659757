"""`POST /api/v1/taxcore/payments`: the tax core pushes payments made elsewhere (header `X-TaxCore-Key`)."""

from __future__ import annotations

import hashlib
import secrets
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Header
from pydantic import BaseModel, ConfigDict, Field

from shebao.deps import RuntimeDep
from shebao.elsewhere.feed import run_feed
from shebao.errors import NotLoggedIn
from shebao.web.openapi import errors

router = APIRouter(prefix="/api/v1/taxcore", tags=["tax core feed"])


class FeedRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rows: list[dict[str, Any]] = Field(
        min_length=1, max_length=1000, description="与 CSV 相同的字段，每行一个缴费项目"
    )


class FeedRow(BaseModel):
    line: int = Field(description="行号：第 n 个元素为 n+1（如同带表头的文件）")
    status: str = Field(description="applied | duplicate | unchanged | rejected")
    reason: str


class FeedAnswer(BaseModel):
    items: list[FeedRow]


def _check_key(expected_sha256: str | None, sent: str | None) -> None:
    if not expected_sha256 or not sent:
        raise NotLoggedIn("税务核心系统密钥无效")
    digest = hashlib.sha256(sent.encode("utf-8")).hexdigest()
    if not secrets.compare_digest(digest, expected_sha256):
        raise NotLoggedIn("税务核心系统密钥无效")


@router.post(
    "/payments",
    response_model=FeedAnswer,
    summary="其他渠道缴款推送（全渠道，幂等）",
    responses=errors(s401="缺少或错误的税务核心系统密钥（X-TaxCore-Key）"),
)
def feed(
    body: FeedRequest,
    runtime: RuntimeDep,
    x_taxcore_key: Annotated[str | None, Header(max_length=200)] = None,
) -> FeedAnswer:
    _check_key(runtime.settings.taxcore_key_sha256, x_taxcore_key)
    report = run_feed(runtime, [(index + 2, row) for index, row in enumerate(body.rows)])
    return FeedAnswer(
        items=[FeedRow(line=line, status=status, reason=reason) for line, status, reason in report.rows]
    )


def include(app: FastAPI) -> None:
    app.include_router(router)
