"""`/api/v1/certificates` (API.md, Certificates) and the public verification API."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, FastAPI, Query, Request, Response, status

from shebao.certificates import presenters, schemas
from shebao.certificates.ask import check_ask
from shebao.certificates.errors import CertificateNotFound
from shebao.certificates.repository import CertificateRepository
from shebao.certificates.service import CertificateService
from shebao.certificates.verification import Verifier, read_pdf_token
from shebao.deps import DbSession, RuntimeDep, WriteSession
from shebao.identity.deps import CurrentPayer
from shebao.kit.pagination import PageParams
from shebao.kit.params import CertificateID, PayerFilter
from shebao.web.clients import client_address as client_ip
from shebao.web.openapi import errors

router = APIRouter(prefix="/api/v1", tags=["certificates"])

PDF = "application/pdf"


def _pdf(content: bytes, certificate_no: str) -> Response:
    headers = {
        "Content-Disposition": f'inline; filename="{certificate_no}.pdf"',
        "Cache-Control": "private, no-store",
    }
    return Response(content, media_type=PDF, headers=headers)


@router.post(
    "/certificates",
    status_code=status.HTTP_201_CREATED,
    response_model=schemas.Certificate,
    summary="证明申请（在后台制作；同一申请正在制作中时返回该申请）",
)
def request_certificate(
    body: schemas.CertificateCreate,
    payer: CurrentPayer,
    runtime: RuntimeDep,
    session: WriteSession,
    response: Response,
) -> schemas.Certificate:
    ask = check_ask(body.scheme, body.period_from, body.period_to, runtime.clock.today())
    service = CertificateService(runtime, session, payer.person, channel=payer.channel)
    found, created = service.request(ask, body.payer_id)
    if not created:
        response.status_code = status.HTTP_200_OK
    return presenters.certificate(found)


@router.get(
    "/certificates", response_model=schemas.CertificateList, summary="社保缴费证明下载：按申请日期查询"
)
def list_certificates(
    payer: CurrentPayer,
    runtime: RuntimeDep,
    session: DbSession,
    page: PageParams,
    applied_from: Annotated[date | None, Query(description="申请日期起 YYYY-MM-DD")] = None,
    applied_to: Annotated[date | None, Query(description="申请日期止 YYYY-MM-DD")] = None,
    payer_id: PayerFilter = None,
) -> schemas.CertificateList:
    service = CertificateService(runtime, session, payer.person, channel=payer.channel)
    found, next_cursor = service.list(applied_from, applied_to, payer_id, page)
    return schemas.CertificateList(items=[presenters.certificate(c) for c in found], next_cursor=next_cursor)


@router.get("/certificates/{certificate_id}", response_model=schemas.Certificate, summary="缴费证明详情")
def get_certificate(
    certificate_id: CertificateID, payer: CurrentPayer, runtime: RuntimeDep, session: DbSession
) -> schemas.Certificate:
    found = CertificateService(runtime, session, payer.person, channel=payer.channel).own(certificate_id)
    return presenters.certificate(found)


@router.get(
    "/certificates/{certificate_id}/pdf",
    response_class=Response,
    responses={200: {"content": {PDF: {}}}},
    summary="下载缴费证明PDF（制作完成前为409）",
)
def certificate_pdf(
    certificate_id: CertificateID, payer: CurrentPayer, runtime: RuntimeDep, session: DbSession
) -> Response:
    service = CertificateService(runtime, session, payer.person, channel=payer.channel)
    return _pdf(service.file(certificate_id).pdf, service.own(certificate_id).certificate_no)


@router.post(
    "/certificates/{certificate_id}/retry",
    response_model=schemas.Certificate,
    summary="重新制作（仅制作失败的）",
)
def retry_certificate(
    certificate_id: CertificateID, payer: CurrentPayer, runtime: RuntimeDep, session: WriteSession
) -> schemas.Certificate:
    found = CertificateService(runtime, session, payer.person, channel=payer.channel).retry(certificate_id)
    return presenters.certificate(found)


@router.get(
    "/captcha",
    response_model=schemas.Captcha,
    summary="图片验证码（缴费证明查验；5分钟内有效，一次有效）",
    responses=errors(429),
)
def captcha(request: Request, runtime: RuntimeDep, session: WriteSession) -> schemas.Captcha:
    made = Verifier(runtime, session, client_ip=client_ip(request)).new_captcha()
    return schemas.Captcha(captcha_id=str(made.captcha_id), image=made.data_url)


@router.post(
    "/certificates/verify",
    response_model=schemas.Verification,
    summary="缴费证明查验（无需登录）",
    responses=errors(429),
)
def verify(
    body: schemas.VerificationRequest, request: Request, runtime: RuntimeDep, session: WriteSession
) -> schemas.Verification:
    verifier = Verifier(runtime, session, client_ip=client_ip(request))
    verified = verifier.verify(body.taxpayer_id, body.verification_code, body.captcha_id, body.captcha_answer)
    return presenters.verification(verified, f"/api/v1/certificates/verified/{verified.pdf_token}.pdf")


@router.get(
    "/certificates/verified/{token}.pdf",
    response_class=Response,
    responses={200: {"content": {PDF: {}}}},
    summary="查验后下载原始PDF（链接10分钟内有效）",
)
def verified_pdf(token: str, runtime: RuntimeDep, session: DbSession) -> Response:
    certificate_id = read_pdf_token(token, runtime.clock.now())
    repository = CertificateRepository(session)
    found, file = repository.get(certificate_id), repository.file(certificate_id)
    if found is None or file is None:
        raise CertificateNotFound()
    return _pdf(file.pdf, found.certificate_no)


def include(app: FastAPI) -> None:
    app.include_router(router)
