"""`/sandbox/bank/...` (API.md, Sandboxes): the bank front end's gateway (signed messages), accounts,
the ledger, the switches (time out, lose, close for the night, refuse) and revocation at the counter."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Request, Response, status
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool

from shebao.channels.bank import codes, keys, messages
from shebao.channels.bank.batch import BatchFileError
from shebao.channels.bank.transfer import blocks
from shebao.db import UnitOfWork
from shebao.deps import Clock, DbSession, RuntimeDep, Work, WriteSession, request_work
from shebao.errors import BadRequest, Conflict, Inconsistent, NotFound, ValidationFailed
from shebao.kit.clock import to_shanghai
from shebao.kit.sealed import SealedWriter
from shebao.kit.text import PlainText
from shebao.reference.catalog import load_catalog
from shebao.sandbox.bank import accounts, bank, batch
from shebao.sandbox.bank.models import SandboxBankAccount, SandboxBankAgreement
from shebao.web.openapi import errors

router = APIRouter(prefix="/sandbox/bank", tags=["sandbox"])

BankCode = Annotated[str, Path(max_length=16, pattern=r"^[0-9]+$")]
AccountNo = Annotated[str, Path(max_length=32, pattern=r"^[0-9]+$")]
HANDLERS: dict[str, Callable[[Session, messages.Message, datetime], bank.Answer]] = {
    codes.VERIFY: bank.verify,
    codes.REVOKE: bank.revoke,
    codes.QUERY: bank.query,
    codes.REFUND: bank.refund,
}


class AccountOpen(BaseModel):
    model_config = ConfigDict(extra="forbid")
    bank_code: str = Field(max_length=16)
    account_no: str = Field(min_length=6, max_length=32, pattern=r"^[0-9]+$")
    holder_name: str = Field(min_length=1, max_length=50)
    balance_fen: int = Field(ge=0, le=10**13)
    status: Literal["normal", "frozen", "closed"] = "normal"


class Account(BaseModel):
    bank_code: str
    account_no: str
    holder_name: str
    balance_fen: int
    status: str


class Entry(BaseModel):
    msg_id: str
    agreement_no: str
    amount_fen: int
    result_code: str
    result_message: str
    serial_no: str | None
    balance_after_fen: int | None
    refund_of: str | None = Field(description="退款：原扣款报文号；扣款为 null")
    created_at: datetime


class EntryList(BaseModel):
    items: list[Entry]


class Controls(BaseModel):
    model_config = ConfigDict(extra="forbid")
    mode: Literal["normal", "timeout", "lost", "closed", "refuse"] = Field(
        description="normal；timeout：银行已处理但应答丢失；lost：请求丢失未处理；"
        "closed：非工作时间（银行系统维护中）；refuse：拒绝签约与扣款"
    )
    reason: PlainText | None = Field(default=None, max_length=100, description="refuse 时银行给出的原因")
    batch_late_percent: int | None = Field(
        default=None, ge=0, le=100, description="批量扣款：稍后（30分钟后）才应答的笔数百分比；不填则不变"
    )


def _view(account: SandboxBankAccount) -> Account:
    return Account(
        bank_code=account.bank_code,
        account_no=account.account_no,
        holder_name=account.holder_name,
        balance_fen=account.balance_fen,
        status=account.status,
    )


def _account(session: Session, bank_code: str, account_no: str) -> SandboxBankAccount:
    found = accounts.find(session, bank_code, account_no)
    if found is None:
        raise NotFound("沙箱银行中没有该账户")
    return found


@router.post(
    "/accounts",
    status_code=status.HTTP_201_CREATED,
    response_model=Account,
    summary="沙箱银行：开户或设置账户",
)
def open_account(body: AccountOpen, session: WriteSession, clock: Clock, response: Response) -> Account:
    """Opens the account; for an existing one sets its holder, balance and status (answers 200)."""
    if load_catalog().bank(body.bank_code) is None:
        raise ValidationFailed("未知的银行代码", fields={"bank_code": "不在开户银行列表中"})
    account, created = accounts.open_account(
        session,
        bank_code=body.bank_code,
        account_no=body.account_no,
        holder_name=body.holder_name.strip(),
        balance_fen=body.balance_fen,
        status=body.status,
        now=clock.now(),
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    return _view(account)


@router.get("/accounts/{bank_code}/{account_no}", response_model=Account, summary="沙箱银行：账户余额与状态")
def read_account(bank_code: BankCode, account_no: AccountNo, session: DbSession) -> Account:
    return _view(_account(session, bank_code, account_no))


@router.get(
    "/accounts/{bank_code}/{account_no}/ledger",
    response_model=EntryList,
    summary="沙箱银行：账户的扣款与退款流水",
)
def read_ledger(bank_code: BankCode, account_no: AccountNo, session: DbSession) -> EntryList:
    entries = accounts.entries_of(session, _account(session, bank_code, account_no))
    return EntryList(
        items=[
            Entry.model_validate(e, from_attributes=True).model_copy(
                update={"created_at": to_shanghai(e.created_at)}
            )
            for e in entries
        ]
    )


@router.get("/controls", response_model=Controls, summary="沙箱银行：当前开关")
def read_controls(session: DbSession) -> Controls:
    row = accounts.control(session)
    return Controls(
        mode=row.mode if row else "normal",
        reason=row.reason if row else None,
        batch_late_percent=row.batch_late_percent if row else 0,
    )


@router.post("/controls", response_model=Controls, summary="沙箱银行：超时、丢失、日终关闭、拒绝或恢复正常")
def set_controls(body: Controls, session: WriteSession, clock: Clock) -> Controls:
    row = accounts.set_control(session, body.mode, body.reason, clock.now(), body.batch_late_percent)
    return Controls(mode=row.mode, reason=row.reason, batch_late_percent=row.batch_late_percent)


class AgreementState(BaseModel):
    agreement_no: str
    status: str


@router.post(
    "/agreements/{agreement_no}/revoke",
    response_model=AgreementState,
    summary="沙箱银行：缴费人在银行柜面撤销协议",
)
def revoke_at_counter(
    agreement_no: Annotated[str, Path(max_length=40)], session: WriteSession, clock: Clock
) -> AgreementState:
    query = select(SandboxBankAgreement).where(SandboxBankAgreement.agreement_no == agreement_no)
    found = session.scalars(query.with_for_update()).first()
    if found is None:
        raise NotFound("沙箱银行中没有该协议")
    found.status, found.revoked_at = "revoked", found.revoked_at or clock.now()
    return AgreementState(agreement_no=found.agreement_no, status=found.status)


# --- the batch interface (批量扣税) ------------------------------------------------------------------


class BatchReceipt(BaseModel):
    batch_no: str
    bank_code: str
    item_count: int
    total_fen: int
    duplicate: bool = Field(description="该批次号已接收过：按原批次处理，不重复扣款")


class BatchResults(BaseModel):
    batch_no: str
    parts: list[int] = Field(description="已生成的结果文件序号")
    outstanding: int = Field(description="尚未应答的笔数（稍后在下一个结果文件中应答）")


@router.post(
    "/batches",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=BatchReceipt,
    summary="沙箱银行：接收签名的批量扣款文件（同一批次号只处理一次）",
    responses=errors(s400="批量扣款文件无效（签名、格式或编码），整批拒收"),
)
async def receive_batch(request: Request, runtime: RuntimeDep, work: Work, clock: Clock) -> BatchReceipt:
    now = clock.now()
    if (await run_in_threadpool(_bank_mode, work)) == "closed":
        raise BankClosed()
    inbox = batch.folder(runtime)
    tmp = inbox / f"incoming-{uuid.uuid4().hex}.sealed"
    buffer = b""
    try:
        with SealedWriter(tmp, label=batch.LABEL) as writer:
            async for chunk in request.stream():
                buffer += chunk
                *lines, buffer = buffer.split(b"\n")
                for line in lines:
                    writer.write(line.decode("utf-8"))
            if buffer:
                writer.write(buffer.decode("utf-8"))
        receipt = await run_in_threadpool(batch.accept, runtime, work, tmp, now)
    except (UnicodeDecodeError, BatchFileError) as exc:
        tmp.unlink(missing_ok=True)
        raise BadRequest(f"批量扣款文件无效：{exc}") from exc
    return BatchReceipt(**asdict(receipt))


def _bank_mode(work: UnitOfWork) -> str:
    with work.read() as session:
        row = accounts.control(session)
        return row.mode if row else "normal"


class BankClosed(Conflict):
    code = "bank_closed"
    message = "银行系统维护中，请稍后再试"


BatchNo = Annotated[str, Path(max_length=32, pattern=r"^[0-9A-Za-z]+$")]


@router.get(
    "/batches/{batch_no}/results", response_model=BatchResults, summary="沙箱银行：批次的结果文件清单"
)
async def batch_results(batch_no: BatchNo, runtime: RuntimeDep, work: Work, clock: Clock) -> BatchResults:
    found = await run_in_threadpool(batch.answer_late, runtime, work, batch_no, clock.now())
    if found is None:
        raise NotFound("沙箱银行没有该批次")
    done = await run_in_threadpool(batch.answered, work, batch_no)
    return BatchResults(
        batch_no=batch_no, parts=list(range(1, found.parts + 1)), outstanding=found.item_count - done
    )


@router.get(
    "/batches/{batch_no}/results/{part}",
    response_class=StreamingResponse,
    summary="沙箱银行：下载签名的扣款结果文件",
)
async def batch_result_file(
    batch_no: BatchNo,
    part: Annotated[int, Path(ge=1, le=9)],
    runtime: RuntimeDep,
    work: Work,
    clock: Clock,
) -> StreamingResponse:
    found = await run_in_threadpool(batch.answer_late, runtime, work, batch_no, clock.now())
    if found is None or part > found.parts:
        raise NotFound("沙箱银行没有该结果文件")
    lines = batch.result_lines(runtime, work, found, part, clock.now())
    return StreamingResponse(
        iterate_in_threadpool(blocks(lines)),
        media_type="text/plain; charset=utf-8",
    )


# --- the front end ---------------------------------------------------------------------------------


def _signed(runtime: Any, request_message: messages.Message, answer: bank.Answer, now: datetime) -> Response:
    head = messages.Head(
        msg_type=request_message.head.msg_type,
        msg_id=messages.new_msg_id("BK", now),
        sender=messages.FRONT_END,
        receiver=request_message.head.sender,
        sent_at=messages.stamp(now),
        answer_to=request_message.head.msg_id,
    )
    raw = messages.encode(messages.Message(head, answer))
    signature = messages.sign(raw, keys.sandbox_private_key(runtime.settings))
    return Response(raw, media_type="application/json", headers={messages.SIGNATURE_HEADER: signature})


@router.post(
    "/gateway",
    summary="沙箱银行前置：接收签名报文（协议验证、撤销、实时扣款、查询、退款）",
    responses={
        **errors(400),
        504: {
            "description": "模拟超时（/sandbox/bank/controls）",
            "content": {"text/plain": {"schema": {"type": "string"}}},
        },
    },
)
async def gateway(request: Request, runtime: RuntimeDep, clock: Clock) -> Response:
    raw = await request.body()
    now = clock.now()
    try:
        message = messages.read_signed(
            raw,
            request.headers.get(messages.SIGNATURE_HEADER),
            keys.app_public_key(runtime.settings),
            now=now,
        )
    except messages.MessageError as exc:
        raise BadRequest(f"{codes.message(codes.BAD_SIGNATURE)}：{exc}") from exc
    if message.head.msg_type not in codes.MESSAGE_TYPES or message.head.receiver != messages.FRONT_END:
        raise BadRequest(codes.message(codes.BAD_MESSAGE))
    return await run_in_threadpool(_handle, runtime, request_work(request), message, now)


def _handle(runtime: Any, work: UnitOfWork, message: messages.Message, now: datetime) -> Response:
    try:
        mode, answer = _process(work, message, now)
    except IntegrityError:
        # The same message id, acted on by a parallel copy just now: its ledger row answers this one.
        mode, answer = _process(work, message, now)
    if mode == "lost":
        return Response("gateway timeout", status_code=504, media_type="text/plain")
    if mode == "timeout":  # acted on and committed; the answer never arrives
        return Response("gateway timeout", status_code=504, media_type="text/plain")
    if answer is None:
        raise Inconsistent("沙箱银行未生成应答报文")
    return _signed(runtime, message, answer, now)


def _process(work: UnitOfWork, message: messages.Message, now: datetime) -> tuple[str, bank.Answer | None]:
    with work.step() as step:
        session = step.session
        row = accounts.control(session)
        mode, reason = (row.mode, row.reason) if row else ("normal", None)
        if mode == "lost":
            return mode, None
        if mode == "closed":
            return mode, {"code": codes.CLOSED, "message": codes.message(codes.CLOSED)}
        refuse = (reason or codes.message(codes.REFUSED)) if mode == "refuse" else None
        try:
            return mode, _dispatch(session, message, now, refuse)
        except bank.Unreadable as exc:
            raise BadRequest(f"{codes.message(codes.BAD_MESSAGE)}：{exc}") from exc


def _dispatch(session: Session, message: messages.Message, now: datetime, refuse: str | None) -> bank.Answer:
    if message.head.msg_type == codes.DEDUCT:
        return bank.deduct(session, message, now, refuse=refuse)
    if refuse is not None and message.head.msg_type in (codes.VERIFY, codes.REFUND):
        return {"code": codes.REFUSED, "message": refuse}
    return HANDLERS[message.head.msg_type](session, message, now)
