"""`/api/v1/declarations` (API.md, Fees): list, get; declaring and voiding are in settlement/endpoints.py."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, FastAPI, Query

from shebao.declarations import presenters, schemas
from shebao.declarations.service import DeclarationService
from shebao.deps import DbSession, RuntimeDep
from shebao.errors import ValidationFailed
from shebao.identity.access import MINE, Viewer
from shebao.identity.deps import CurrentPayer
from shebao.kit.clock import start_of_local_day
from shebao.kit.pagination import PageParams
from shebao.kit.params import DeclarationID, PayerFilter

router = APIRouter(prefix="/api/v1/declarations", tags=["declarations"])

SchemeFilter = Annotated[schemas.Scheme | None, Query(description="险种")]


@router.get("", response_model=schemas.DeclarationList, summary="已申报查询（全渠道，含代他人申报）")
def list_declarations(
    payer: CurrentPayer,
    runtime: RuntimeDep,
    session: DbSession,
    page: PageParams,
    scheme: SchemeFilter = None,
    declared_from: Annotated[date | None, Query(description="申报日期起（含，北京时间）")] = None,
    declared_to: Annotated[date | None, Query(description="申报日期止（含，北京时间）")] = None,
    payer_id: PayerFilter = None,
) -> schemas.DeclarationList:
    if declared_from and declared_to and declared_from > declared_to:
        raise ValidationFailed("申报日期起不能晚于申报日期止", fields={"declared_from": "不能晚于申报日期止"})
    service = DeclarationService(runtime, session, payer.person, channel=payer.channel)
    viewer = Viewer.of(session, payer.person)
    found, next_cursor = service.repository.visible_to(
        viewer,
        viewer.whom(payer_id, default=MINE),
        scheme=scheme,
        declared_from=start_of_local_day(declared_from) if declared_from else None,
        declared_before=start_of_local_day(declared_to + timedelta(days=1)) if declared_to else None,
        page=page,
    )
    items = [presenters.declaration(session, d) for d in found]
    return schemas.DeclarationList(items=items, next_cursor=next_cursor)


@router.get("/{declaration_id}", response_model=schemas.Declaration, summary="申报明细")
def get_declaration(
    declaration_id: DeclarationID, payer: CurrentPayer, runtime: RuntimeDep, session: DbSession
) -> schemas.Declaration:
    service = DeclarationService(runtime, session, payer.person, channel=payer.channel)
    return presenters.declaration(session, service.get(declaration_id))


def include(app: FastAPI) -> None:
    app.include_router(router)
