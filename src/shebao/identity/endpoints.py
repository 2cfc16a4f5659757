"""`/api/v1/auth/*`, `/api/v1/me`, `/api/v1/family`, `/api/v1/consents` (API.md, Login)."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request, Response, status

from shebao.deps import DbSession, RuntimeDep, WriteSession
from shebao.identity import captcha, presenters, schemas
from shebao.identity.deps import CurrentPayer, request_channel
from shebao.identity.family import ConsentService, FamilyService
from shebao.identity.service import CaptchaAnswer, LoginRequest, LoginService
from shebao.kit.pagination import PageParams
from shebao.kit.params import FamilyID
from shebao.web.clients import address_bucket
from shebao.web.clients import client_address as client_ip
from shebao.web.openapi import errors

router = APIRouter(prefix="/api/v1", tags=["identity"])


def _login(
    runtime: RuntimeDep, session: WriteSession, request: Request, body: schemas.CaptchaFields | None = None
) -> LoginService:
    answer = CaptchaAnswer(body.captcha_id, body.captcha_answer) if body else None
    return LoginService(
        runtime,
        session,
        client_ip=client_ip(request),
        channel=request_channel(request),
        captcha_answer=answer,
    )


@router.get(
    "/auth/captcha",
    response_model=schemas.CaptchaOut,
    summary="图形验证码（单次有效，5分钟内）",
    responses=errors(429),
)
def new_captcha(runtime: RuntimeDep, session: WriteSession, request: Request) -> schemas.CaptchaOut:
    issued = captcha.issue_for(session, address_bucket(client_ip(request)), runtime.clock.now())
    return schemas.CaptchaOut(captcha_id=str(issued.id), image=issued.image)


@router.post(
    "/auth/sms-code",
    status_code=status.HTTP_200_OK,
    response_model=schemas.SmsCodeSent,
    summary="发送登录短信验证码（浏览器客户端）",
    responses=errors(429),
)
def send_sms_code(
    body: schemas.SmsCodeRequest, runtime: RuntimeDep, session: WriteSession, request: Request
) -> schemas.SmsCodeSent:
    wait = _login(runtime, session, request, body).send_sms_code(body.phone)
    return schemas.SmsCodeSent(resend_after_seconds=wait)


@router.post(
    "/auth/login",
    response_model=schemas.LoginStarted,
    summary="实人认证：手机号 + 姓名 + 证件号码",
    responses=errors(429),
)
def login(
    body: schemas.LoginCreate, runtime: RuntimeDep, session: WriteSession, request: Request
) -> schemas.LoginStarted:
    fields = body.model_dump(exclude={"captcha_id", "captcha_answer"})
    started = _login(runtime, session, request, body).start(LoginRequest(**fields))
    face = started.face
    return schemas.LoginStarted(
        verification_id=str(started.verification.id),
        face=schemas.FaceStep(provider=face.provider, url=face.url, params=face.params),
    )


@router.post(
    "/auth/face/complete",
    response_model=schemas.AccessToken,
    summary="人脸认证完成，换取访问令牌",
    responses=errors(429),
)
def face_complete(
    body: schemas.FaceComplete, runtime: RuntimeDep, session: WriteSession, request: Request
) -> schemas.AccessToken:
    login_session, token, _ = _login(runtime, session, request).complete(
        str(body.verification_id), body.result_token, kind="bearer"
    )
    return schemas.AccessToken(access_token=token, expires_at=login_session.idle_expires_at)


@router.post("/auth/logout", status_code=status.HTTP_200_OK, summary="退出登录（服务端结束会话）")
def logout(
    payer: CurrentPayer, runtime: RuntimeDep, session: WriteSession, request: Request
) -> dict[str, str]:
    _login(runtime, session, request).logout(payer.login)
    return {"status": "logged_out"}


@router.get("/me", response_model=schemas.Me, summary="当前登录的缴费人（脱敏）")
def me(payer: CurrentPayer) -> schemas.Me:
    return presenters.me(payer.person)


@router.get("/family", response_model=schemas.FamilyList, summary="家庭成员")
def family(
    payer: CurrentPayer, runtime: RuntimeDep, session: DbSession, page: PageParams
) -> schemas.FamilyList:
    service = FamilyService(runtime, session, payer.person, channel=payer.channel)
    members, next_cursor = service.members_page(page)
    items = [presenters.family_member(session, r, m) for r, m in members]
    return schemas.FamilyList(items=items, next_cursor=next_cursor)


@router.post(
    "/family",
    status_code=status.HTTP_201_CREATED,
    response_model=schemas.FamilyMemberOut,
    summary="添加家庭成员（须与登记信息一致）",
    responses=errors(429),
)
def add_family(
    body: schemas.FamilyCreate, payer: CurrentPayer, runtime: RuntimeDep, session: WriteSession
) -> schemas.FamilyMemberOut:
    service = FamilyService(runtime, session, payer.person, channel=payer.channel)
    row, member = service.add(body.name, body.id_type, body.id_number, body.relation)
    return presenters.family_member(session, row, member)


@router.delete(
    "/family/{family_id}", status_code=status.HTTP_204_NO_CONTENT, summary="删除家庭成员（保留缴费历史）"
)
def remove_family(
    family_id: FamilyID, payer: CurrentPayer, runtime: RuntimeDep, session: WriteSession
) -> Response:
    FamilyService(runtime, session, payer.person, channel=payer.channel).remove(family_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/consents", response_model=schemas.ConsentList, summary="把我添加为家庭成员的人，以及我的授权")
def consents(
    payer: CurrentPayer, runtime: RuntimeDep, session: DbSession, page: PageParams
) -> schemas.ConsentList:
    rows, next_cursor = ConsentService(runtime, session, payer.person, channel=payer.channel).granted_by_me(
        page
    )
    return schemas.ConsentList(
        items=[
            schemas.ConsentOut(family_id=str(link.id), payer_name=other.masked_name, granted=granted)
            for link, other, granted in rows
        ],
        next_cursor=next_cursor,
    )


@router.post(
    "/consents/{family_id}", status_code=status.HTTP_200_OK, summary="授权该缴费人查询我的全部缴费记录"
)
def grant_consent(
    family_id: FamilyID, payer: CurrentPayer, runtime: RuntimeDep, session: WriteSession
) -> dict[str, str]:
    ConsentService(runtime, session, payer.person, channel=payer.channel).grant(family_id)
    return {"status": "granted"}


@router.delete("/consents/{family_id}", status_code=status.HTTP_204_NO_CONTENT, summary="撤回授权")
def revoke_consent(
    family_id: FamilyID, payer: CurrentPayer, runtime: RuntimeDep, session: WriteSession
) -> Response:
    ConsentService(runtime, session, payer.person, channel=payer.channel).revoke(family_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def include(app: FastAPI) -> None:
    app.include_router(router)
