"""Batch deduction files (批量扣税, TIPS style): one signed batch file per bank, and the bank's signed
result files back. Shared by the bank adapter and the sandbox bank, like `messages.py`.

Text, UTF-8, one record per line, fields separated by `|` (no field may hold `|` or a line break):

    batch file:   H|TIPS-BATCH|1.0|batch_no|sender|bank_code|date|created_at
                  D|item_id|agreement_no|account_no|holder_name|tax_office|amount_fen   (one per item)
                  T|count|total_fen
                  S|signature
    result file:  H|TIPS-RESULT|1.0|batch_no|part|bank_code|created_at   (a late share comes in part 2)
                  R|item_id|code|message|amount_fen|serial_no|settled_at   (one per item answered)
                  T|count|succeeded_count|succeeded_fen
                  S|signature

The last line signs every byte before it (RSA PKCS#1 v1.5 over SHA-256, base64): ours on a batch file,
the bank's on a result file. Item ids are stable per deduction attempt, so the bank acts on an item id
once, whatever number of times the file is sent. Writing and reading stream (constant memory).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa, utils

BATCH_KIND = "TIPS-BATCH"
RESULT_KIND = "TIPS-RESULT"
VERSION = "1.0"
ITEM_ID = re.compile(r"^[0-9A-Za-z]{8,40}$")
BATCH_NO = re.compile(r"^[0-9A-Za-z]{8,32}$")
MAX_LINE = 1024


class BatchFileError(ValueError):
    """Not a well-formed, correctly signed file of the kind expected: refused whole."""


def _field(value: object) -> str:
    text = "" if value is None else str(value)
    if "|" in text or "\n" in text or "\r" in text:
        raise ValueError("a batch file field may not hold | or a line break")
    return text


def record(*fields: object) -> str:
    return "|".join(_field(f) for f in fields)


class SignedWriter:
    """Lines out to `sink`, each hashed as written; `finish()` appends the signature line."""

    def __init__(self, key: rsa.RSAPrivateKey, sink: Callable[[str], None]) -> None:
        self._key = key
        self._sink = sink
        self._hash = hashlib.sha256()

    def line(self, *fields: object) -> None:
        text = record(*fields)
        self._hash.update(text.encode("utf-8") + b"\n")
        self._sink(text)

    def finish(self) -> None:
        signature = self._key.sign(self._hash.digest(), padding.PKCS1v15(), utils.Prehashed(hashes.SHA256()))
        self._sink("S|" + base64.b64encode(signature).decode("ascii"))


def verify(lines: Iterable[str], key: rsa.RSAPublicKey) -> int:
    """Check the last line's signature over all the lines before it; answers the number of records."""
    digest = hashlib.sha256()
    last: str | None = None
    count = 0
    for line in lines:
        if last is not None:
            digest.update(last.encode("utf-8") + b"\n")
            count += 1
        if len(line) > MAX_LINE:
            raise BatchFileError("文件行过长")
        last = line
    if last is None or not last.startswith("S|"):
        raise BatchFileError("文件缺少签名行")
    try:
        signature = base64.b64decode(last[2:], validate=True)
        key.verify(signature, digest.digest(), padding.PKCS1v15(), utils.Prehashed(hashes.SHA256()))
    except (InvalidSignature, binascii.Error, ValueError) as exc:
        raise BatchFileError("文件验签失败") from exc
    return count


def _int(text: str, what: str, *, positive: bool = False) -> int:
    if not text.isdigit() or len(text) > 15:
        raise BatchFileError(f"{what}应为非负整数")
    value = int(text)
    if positive and value <= 0:
        raise BatchFileError(f"{what}应为正整数")
    return value


def _split(line: str, kind: str, size: int) -> list[str]:
    fields = line.split("|")
    if fields[0] != kind or len(fields) != size:
        raise BatchFileError(f"记录格式错误：{line[:40]}")
    return fields


# --- batch file ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchHeader:
    batch_no: str
    sender: str
    bank_code: str
    run_date: date
    created_at: datetime


@dataclass(frozen=True)
class BatchItem:
    item_id: str
    agreement_no: str
    account_no: str
    holder_name: str
    tax_office_code: str
    amount_fen: int


def write_batch_header(writer: SignedWriter, header: BatchHeader) -> None:
    writer.line(
        "H",
        BATCH_KIND,
        VERSION,
        header.batch_no,
        header.sender,
        header.bank_code,
        header.run_date.isoformat(),
        header.created_at.isoformat(timespec="seconds"),
    )


def write_batch_item(writer: SignedWriter, item: BatchItem) -> None:
    writer.line(
        "D",
        item.item_id,
        item.agreement_no,
        item.account_no,
        item.holder_name,
        item.tax_office_code,
        item.amount_fen,
    )


def _opening(it: Iterator[str], kind: str, width: int, wrong: str) -> list[str]:
    """The header line's fields, once its kind, version and batch number are right."""
    first = next(it, None)
    if first is None:
        raise BatchFileError("文件为空")
    fields = _split(first, "H", width)
    if fields[1] != kind or fields[2] != VERSION or not BATCH_NO.match(fields[3]):
        raise BatchFileError(wrong)
    return fields


def read_batch(lines: Iterable[str]) -> tuple[BatchHeader, Iterator[BatchItem]]:
    """The header, and the items as a stream; the trailer is checked once the items are consumed."""
    it = iter(lines)
    fields = _opening(it, BATCH_KIND, 8, "批量扣款文件头不正确")
    try:
        header = BatchHeader(
            fields[3], fields[4], fields[5], date.fromisoformat(fields[6]), datetime.fromisoformat(fields[7])
        )
    except ValueError as exc:
        raise BatchFileError("批量扣款文件头日期格式不正确") from exc

    def items() -> Iterator[BatchItem]:
        count = total = 0
        seen_trailer = False
        for line in it:
            if line.startswith("S|"):
                break
            if seen_trailer:
                raise BatchFileError("汇总行之后还有记录")
            if line.startswith("T|"):
                t = _split(line, "T", 3)
                if (_int(t[1], "笔数"), _int(t[2], "总金额")) != (count, total):
                    raise BatchFileError("汇总行笔数或总金额与明细不符")
                seen_trailer = True
                continue
            d = _split(line, "D", 7)
            if not ITEM_ID.match(d[1]) or not d[2] or not d[3].isdigit() or not d[4] or not d[5]:
                raise BatchFileError(f"明细记录字段不正确：{d[1][:40]}")
            amount = _int(d[6], "扣款金额", positive=True)
            count, total = count + 1, total + amount
            yield BatchItem(d[1], d[2], d[3], d[4], d[5], amount)
        if not seen_trailer:
            raise BatchFileError("文件缺少汇总行")

    return header, items()


# --- result file --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResultHeader:
    batch_no: str
    part: int
    bank_code: str
    created_at: datetime


@dataclass(frozen=True)
class ResultItem:
    item_id: str
    code: str
    message: str
    amount_fen: int
    serial_no: str | None
    settled_at: datetime | None

    @property
    def succeeded(self) -> bool:
        return self.code == "0000"


def write_result_header(writer: SignedWriter, header: ResultHeader) -> None:
    writer.line(
        "H",
        RESULT_KIND,
        VERSION,
        header.batch_no,
        header.part,
        header.bank_code,
        header.created_at.isoformat(timespec="seconds"),
    )


def write_result_item(writer: SignedWriter, item: ResultItem) -> None:
    writer.line(
        "R",
        item.item_id,
        item.code,
        item.message,
        item.amount_fen,
        item.serial_no or "",
        item.settled_at.isoformat(timespec="seconds") if item.settled_at else "",
    )


def read_result(lines: Iterable[str]) -> tuple[ResultHeader, Iterator[ResultItem]]:
    it = iter(lines)
    fields = _opening(it, RESULT_KIND, 7, "扣款结果文件头不正确")
    try:
        header = ResultHeader(
            fields[3],
            _int(fields[4], "结果文件序号", positive=True),
            fields[5],
            datetime.fromisoformat(fields[6]),
        )
    except ValueError as exc:
        raise BatchFileError("扣款结果文件头日期格式不正确") from exc

    def items() -> Iterator[ResultItem]:
        count = succeeded = succeeded_fen = 0
        seen_trailer = False
        for line in it:
            if line.startswith("S|"):
                break
            if seen_trailer:
                raise BatchFileError("汇总行之后还有记录")
            if line.startswith("T|"):
                t = _split(line, "T", 4)
                totals = (_int(t[1], "笔数"), _int(t[2], "成功笔数"), _int(t[3], "成功金额"))
                if totals != (count, succeeded, succeeded_fen):
                    raise BatchFileError("汇总行与明细不符")
                seen_trailer = True
                continue
            r = _split(line, "R", 7)
            if not ITEM_ID.match(r[1]) or not re.fullmatch(r"\d{4}", r[2]) or not r[3]:
                raise BatchFileError(f"结果记录字段不正确：{r[1][:40]}")
            amount = _int(r[4], "扣款金额", positive=True)
            settled: datetime | None = None
            if r[2] == "0000":
                if not r[5] or not r[6]:
                    raise BatchFileError(f"成功记录缺少流水号或扣款时间：{r[1]}")
                try:
                    settled = datetime.fromisoformat(r[6])
                except ValueError as exc:
                    raise BatchFileError(f"扣款时间格式不正确：{r[1]}") from exc
                if settled.tzinfo is None:
                    raise BatchFileError(f"扣款时间缺少时区：{r[1]}")
                succeeded, succeeded_fen = succeeded + 1, succeeded_fen + amount
            count += 1
            yield ResultItem(r[1], r[2], r[3], amount, r[5] or None, settled)
        if not seen_trailer:
            raise BatchFileError("文件缺少汇总行")

    return header, items()
