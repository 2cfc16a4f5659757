"""The feed's rows: `shebao import payments FILE.csv` and `POST /api/v1/taxcore/payments`.

One row per paid item; the rows of one `source_id` form one payment. Columns:
`source_id,channel,paid_at,id_type,id_number,scheme,levy_item,period_start,amount_yuan,eticket_no,declaration_id`
- `source_id` the tax core's id of the payment (idempotency key); `channel` `counter` | `bank`;
- `paid_at` ISO 8601 with offset; `id_type`, `id_number` the insured person's document;
- `scheme`, `levy_item`, `period_start` (YYYY-MM) the payable the item paid;
- `amount_yuan` what was paid for the item; `eticket_no` the tax core's 电子税票号码;
- `declaration_id` optional: our declaration, when the payer declared here and paid elsewhere.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from shebao.enrolment.terms import SCHEMES
from shebao.identity.documents import DocumentError, validate
from shebao.kit.money import MoneyError, yuan_to_fen
from shebao.kit.periods import Period

COLUMNS = (
    "source_id",
    "channel",
    "paid_at",
    "id_type",
    "id_number",
    "scheme",
    "levy_item",
    "period_start",
    "amount_yuan",
    "eticket_no",
    "declaration_id",
)
REQUIRED = tuple(name for name in COLUMNS if name != "declaration_id")  # a declaration is optional
CHANNELS = ("counter", "bank")


class RowError(ValueError):
    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


@dataclass(frozen=True)
class FedItem:
    line: int
    source_id: str
    channel: str
    paid_at: datetime
    id_type: str
    id_number: str
    scheme: str
    levy_item: str
    period_start: str
    amount_fen: int
    eticket_no: str
    declaration_id: uuid.UUID | None


def parse_row(line: int, values: Mapping[str, object], *, today: object) -> FedItem:
    text = {key: str(values.get(key) or "").strip() for key in COLUMNS}
    missing = [key for key in REQUIRED if not text[key]]
    if missing:
        raise RowError("缺少必填项：" + "、".join(missing))
    if text["channel"] not in CHANNELS:
        raise RowError("channel 应为 counter 或 bank")
    try:
        paid_at = datetime.fromisoformat(text["paid_at"])
    except ValueError as exc:
        raise RowError("paid_at 应为带时区的时间，例如 2025-11-20T10:00:00+08:00") from exc
    if paid_at.tzinfo is None:
        raise RowError("paid_at 应带时区，例如 2025-11-20T10:00:00+08:00")
    try:
        document = validate(text["id_type"], text["id_number"], today=today)  # type: ignore[arg-type]
    except DocumentError as exc:
        raise RowError(exc.message) from exc
    if text["scheme"] not in SCHEMES:
        raise RowError("scheme 不正确")
    try:
        Period.parse(text["period_start"])
        amount = yuan_to_fen(text["amount_yuan"])
    except (ValueError, MoneyError) as exc:
        raise RowError(str(exc) or "金额或费款所属期格式不正确") from exc
    if amount <= 0:
        raise RowError("缴款金额应大于0")
    declaration_id = None
    if text["declaration_id"]:
        try:
            declaration_id = uuid.UUID(text["declaration_id"])
        except ValueError as exc:
            raise RowError("declaration_id 格式不正确") from exc
    return FedItem(
        line=line,
        source_id=text["source_id"][:64],
        channel=text["channel"],
        paid_at=paid_at,
        id_type=document.id_type.value,
        id_number=document.id_number,
        scheme=text["scheme"],
        levy_item=text["levy_item"],
        period_start=text["period_start"],
        amount_fen=amount,
        eticket_no=text["eticket_no"][:32],
        declaration_id=declaration_id,
    )
