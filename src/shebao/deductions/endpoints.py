"""`/api/v1/contribution-settings` (API.md, Contribution settings and batch deduction)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, FastAPI, Query, status

from shebao.deductions import presenters, schemas
from shebao.deductions.repository import SettingRepository
from shebao.deductions.settings import SettingRequest, SettingService
from shebao.deps import Work
from shebao.identity.access import Viewer
from shebao.identity.deps import CurrentPayer
from shebao.kit.pagination import PageParams
from shebao.kit.params import PayerFilter, SettingID

router = APIRouter(prefix="/api/v1/contribution-settings", tags=["contribution-settings"])


@router.get(
    "", response_model=schemas.ContributionSettingList, summary="缴费金额设置列表（本人及为家庭成员设置的）"
)
def list_settings(
    payer: CurrentPayer,
    work: Work,
    page: PageParams,
    payer_id: PayerFilter = None,
    scheme: Annotated[str | None, Query(max_length=24, description="险种")] = None,
    setting_status: Annotated[
        str | None, Query(alias="status", max_length=16, description="active | voided")
    ] = None,
) -> schemas.ContributionSettingList:
    with work.read() as session:
        person_id = Viewer.of(session, payer.person).member_person(payer_id) if payer_id else None
        found, next_cursor = SettingRepository(session).visible(
            payer.person.id,
            person_id=person_id,
            scheme=scheme or None,
            status=setting_status or None,
            page=page,
        )
        return schemas.ContributionSettingList(
            items=[presenters.setting(session, s, payer.person) for s in found], next_cursor=next_cursor
        )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=schemas.ContributionSetting,
    summary="缴费金额设置（城乡居民：养老保险选择金额，医疗保险按政策标准；按协议批量扣款）",
)
def create_setting(
    body: schemas.ContributionSettingCreate, payer: CurrentPayer, work: Work
) -> schemas.ContributionSetting:
    request = SettingRequest(
        scheme=body.scheme,
        agreement_id=body.agreement_id,
        valid_from=body.valid_from,
        valid_to=body.valid_to,
        annual_amount_fen=body.annual_amount_fen,
        family_id=body.payer_id,
    )
    with work.step() as step:
        service = SettingService(step.session, payer.person, channel=payer.channel, now=step.now)
        created = service.create(request)
        return presenters.setting(step.session, created, payer.person)


@router.get(
    "/{setting_id}", response_model=schemas.ContributionSetting, summary="缴费金额设置详情（含批扣记录）"
)
def get_setting(setting_id: SettingID, payer: CurrentPayer, work: Work) -> schemas.ContributionSetting:
    with work.step(write=False) as step:
        service = SettingService(step.session, payer.person, channel=payer.channel, now=step.now)
        return presenters.setting(step.session, service.get(setting_id), payer.person)


@router.post(
    "/{setting_id}/void",
    response_model=schemas.ContributionSetting,
    summary="缴费金额作废（此后不再按该设置批扣；已发送银行的扣款照常入账）",
)
def void_setting(setting_id: SettingID, payer: CurrentPayer, work: Work) -> schemas.ContributionSetting:
    with work.step() as step:
        service = SettingService(step.session, payer.person, channel=payer.channel, now=step.now)
        return presenters.setting(step.session, service.void(setting_id), payer.person)


def include(app: FastAPI) -> None:
    app.include_router(router)
