"""`POST /api/v1/agency/enrolments`: the agencies' enrolment interface (header X-Agency-Key)."""

from __future__ import annotations

from typing import Annotated, Any, cast

from fastapi import APIRouter, Depends, FastAPI
from fastapi.security import APIKeyHeader

from shebao.agency import schemas
from shebao.agency.importer import new_importer
from shebao.agency.keys import authenticate
from shebao.agency.service import IMPORTED, REJECTED, UNCHANGED, UPDATED, ImportReport, RawRow
from shebao.audit.service import Actor
from shebao.deps import RuntimeDep, WriteSession
from shebao.enrolment.models import AgencyKey
from shebao.errors import ShebaoError
from shebao.logging import log

router = APIRouter(prefix="/api/v1/agency", tags=["agency"])

_key_header = APIKeyHeader(
    name="X-Agency-Key",
    auto_error=False,
    description="社保经办机构密钥（`shebao agency add-key AGENCY_CODE` 生成）",
)


class AgencyKeyInvalid(ShebaoError):
    status_code = 401
    code = "agency_key_invalid"
    message = "机构密钥无效：请在请求头 X-Agency-Key 中提供本机构有效的密钥"


def current_agency(session: WriteSession, key: Annotated[str | None, Depends(_key_header)]) -> AgencyKey:
    agency_key = authenticate(session, key)
    if agency_key is None:
        raise AgencyKeyInvalid()
    return agency_key


CurrentAgency = Annotated[AgencyKey, Depends(current_agency)]

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "缺少或错误的机构密钥"},
    422: {"description": "请求内容格式不正确（如 rows 为空、超过1000行或不是对象数组）"},
}


@router.post(
    "/enrolments",
    response_model=schemas.EnrolmentReport,
    summary="报送参保数据（与 shebao import enrolments 相同的字段与规则）",
    description=(
        "逐行导入：每行的结果为 imported（已导入）、"
        "updated（已更新：未申报的应缴费重新计算，已申报和已缴款的不变）、"
        "unchanged（未变）或 rejected（拒绝，该行不写入任何数据，reason 说明原因）。"
        "密钥只能报送本机构（agency_code 与密钥所属机构一致）的数据。"
        "缺少缴费标准的应缴费不影响导入：reason 说明哪些应缴费待哪项标准公布后生成。"
    ),
    responses=_ERRORS,
)
def import_enrolments(
    batch: schemas.EnrolmentBatch, session: WriteSession, agency: CurrentAgency, runtime: RuntimeDep
) -> schemas.EnrolmentReport:
    actor = Actor(type="agency", id=agency.agency_code, channel="api")
    importer = new_importer(runtime, actor=actor, agency_code=agency.agency_code, session=session)
    rows = [RawRow(line=index + 2, values=values, index=index) for index, values in enumerate(batch.rows)]
    report = ImportReport(importer.import_chunk(session, rows, now=runtime.clock.now()))
    log.info("agency_enrolments", agency=agency.agency_code, rows=len(rows), rejected=report.rejected)
    return schemas.EnrolmentReport(
        items=[
            schemas.RowReport(
                line=r.line, index=r.index or 0, status=cast(schemas.RowStatus, r.status), reason=r.reason
            )
            for r in report.results
        ],
        imported=report.count(IMPORTED),
        updated=report.count(UPDATED),
        unchanged=report.count(UNCHANGED),
        rejected=report.count(REJECTED),
        summary=report.summary(),
    )


def include(app: FastAPI) -> None:
    app.include_router(router)
