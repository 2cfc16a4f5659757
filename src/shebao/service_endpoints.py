"""Service endpoints: health."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse

from shebao.db import answers
from shebao.deps import DbSession

router = APIRouter(tags=["service"])


@router.get("/health", summary="健康检查：数据库可用时返回 ok")
def health(session: DbSession) -> JSONResponse:
    if not answers(session):
        return JSONResponse({"status": "unavailable"}, status_code=503)
    return JSONResponse({"status": "ok"})


def include(app: FastAPI) -> None:
    app.include_router(router)
