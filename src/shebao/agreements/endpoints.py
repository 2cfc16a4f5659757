"""`/api/v1/agreements` (API.md, Agreements): list, sign (新增协议), read, revoke (撤销)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, FastAPI, Query, status

from shebao.agreements import presenters, schemas
from shebao.agreements.form import AgreementForm
from shebao.agreements.repository import AgreementRepository
from shebao.agreements.service import AgreementService
from shebao.declarations.service import DeclarationService
from shebao.deps import DbSession, RuntimeDep
from shebao.identity.deps import CurrentPayer
from shebao.kit.ids import OptionalId
from shebao.kit.pagination import PageParams
from shebao.kit.params import AgreementID
from shebao.web.openapi import errors

router = APIRouter(prefix="/api/v1/agreements", tags=["agreements"])


@router.get("", response_model=schemas.AgreementList, summary="缴费协议列表")
def list_agreements(
    payer: CurrentPayer,
    runtime: RuntimeDep,
    session: DbSession,
    page: PageParams,
    declaration_id: Annotated[
        OptionalId,
        Query(description="协议支付：按该申报标明每个协议能否使用及原因（含为家庭成员缴费）"),
    ] = None,
) -> schemas.AgreementList:
    office = None
    if declaration_id is not None:
        declarations = DeclarationService(runtime, session, payer.person, channel=payer.channel)
        office = declarations.get(declaration_id).tax_office_code
    today = runtime.clock.today()
    found, next_cursor = AgreementRepository(session).page_of_payer(payer.person.id, page)
    return schemas.AgreementList(
        items=[presenters.agreement(a, today, tax_office_code=office) for a in found], next_cursor=next_cursor
    )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=schemas.Agreement,
    summary="新增协议（银行验证后签订：待生效，次日生效；银行拒绝则为签约失败）",
    responses=errors(429),
)
def sign(body: schemas.AgreementCreate, payer: CurrentPayer, runtime: RuntimeDep) -> schemas.Agreement:
    form = AgreementForm(**body.model_dump())
    signed = AgreementService(runtime, payer.person, channel=payer.channel).sign(form)
    return presenters.agreement(signed, runtime.clock.today())


@router.get("/{agreement_id}", response_model=schemas.Agreement, summary="缴费协议详情")
def get_agreement(
    agreement_id: AgreementID, payer: CurrentPayer, runtime: RuntimeDep, session: DbSession
) -> schemas.Agreement:
    found = AgreementService(runtime, payer.person, channel=payer.channel).own(session, agreement_id)
    return presenters.agreement(found, runtime.clock.today())


@router.post("/{agreement_id}/revoke", response_model=schemas.Agreement, summary="撤销协议（立即停止使用）")
def revoke(agreement_id: AgreementID, payer: CurrentPayer, runtime: RuntimeDep) -> schemas.Agreement:
    revoked = AgreementService(runtime, payer.person, channel=payer.channel).revoke(agreement_id)
    return presenters.agreement(revoked, runtime.clock.today())


def include(app: FastAPI) -> None:
    app.include_router(router)
