"""`/api/v1/console/payers` (API.md, Operator console): payer look-up, a payer's record, reveal."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, FastAPI, Path, Query

from shebao.console import payer_schemas as schemas
from shebao.console.deps import AnyStaff, OperatorStaff
from shebao.console.lookup import PayerLookup
from shebao.deps import Clock, WriteSession
from shebao.identity.documents import IdType
from shebao.web.openapi import errors

router = APIRouter(prefix="/api/v1/console", tags=["console"])

PersonID = Annotated[uuid.UUID, Path(description="缴费人编号（缴费人查询答复的 id）")]


@router.get(
    "/payers",
    response_model=schemas.Payer,
    summary="缴费人查询：按证件号码（或姓名 + 证件号码），个人信息打码；每次查询记入审计日志",
    responses=errors(s404="未找到该缴费人（或不属于本税务所）"),
)
def find_payer(
    staff: AnyStaff,
    session: WriteSession,
    clock: Clock,
    id_number: Annotated[str, Query(max_length=64, description="证件号码（任一证件类型）")],
    name: Annotated[
        str | None, Query(max_length=64, description="姓名（与证件号码同时填写时须一致）")
    ] = None,
    id_type: Annotated[IdType | None, Query(description="证件类型（同一号码有多种证件类型时填写）")] = None,
) -> schemas.Payer:
    lookup = PayerLookup(session, staff, staff.actor, now=clock.now())
    return schemas.payer(lookup.find(id_number, name=name or None, id_type=id_type))


@router.get(
    "/payers/{person_id}",
    response_model=schemas.Payer,
    summary="缴费人详情：参保登记、应缴费、申报、缴款（含渠道通知）、电子凭证、协议、缴费金额设置、批扣、证明、审计记录",
    responses=errors(s404="未找到该缴费人（或不属于本税务所）"),
)
def get_payer(person_id: PersonID, staff: AnyStaff, session: WriteSession, clock: Clock) -> schemas.Payer:
    lookup = PayerLookup(session, staff, staff.actor, now=clock.now())
    return schemas.payer(lookup.view(person_id))


@router.post(
    "/payers/{person_id}/reveal",
    response_model=schemas.RevealedPayer,
    summary="查看完整信息（姓名、证件号码、手机号明文）：须填写原因，记入审计日志（个人信息访问记录）",
    responses=errors(s404="未找到该缴费人（或不属于本税务所）"),
)
def reveal_payer(
    person_id: PersonID,
    body: schemas.RevealRequest,
    staff: OperatorStaff,
    session: WriteSession,
    clock: Clock,
) -> schemas.RevealedPayer:
    lookup = PayerLookup(session, staff, staff.actor, now=clock.now())
    return schemas.revealed(lookup.reveal(person_id, body.reason))


def include(app: FastAPI) -> None:
    app.include_router(router)
