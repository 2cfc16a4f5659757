"""Reconciliation of UnionPay's reconciliation file (文件传输, txnType 76) through the sandbox: what
test_alipay.py checks for Alipay, and the file's own format and checks."""

from __future__ import annotations

import io
import uuid
import zipfile
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from shebao.channels.base import ChannelError
from shebao.channels.unionpay import bill, fields, keys, signing
from shebao.payments.models import Payment
from shebao.payments.registry import adapter_for
from shebao.reconciliation.models import ReconciliationIssue, StatementRun
from shebao.reconciliation.service import ReconcileRefused, reconcile, statement_channels
from shebao.sandbox.unionpay.models import SandboxUnionpayTrade
from tests.support.payments import declare, open_payment_by
from tests.support.people import transaction

DAY = date(2025, 11, 20)
METHOD = "unionpay"


def _next_day(runtime) -> None:  # type: ignore[no-untyped-def]
    with transaction(runtime) as s:
        runtime.clock.move_to(s, datetime.fromisoformat("2025-11-21T09:00:00+08:00"))


def _opened(client, world) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    declared = declare(client, world.zhang_headers)
    opened = open_payment_by(client, world.zhang_headers, declared["id"], METHOD)
    assert opened.status_code == 201, opened.text
    body: dict[str, Any] = opened.json()
    return body


def _paid(client, world, *, notify: bool) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    body = _opened(client, world)
    paid = client.post(f"/sandbox/unionpay/trades/{body['out_trade_no']}/pay", json={"notify": notify})
    assert paid.status_code == 200, paid.text
    return body


def _status(runtime, payment_id: str) -> str:  # type: ignore[no-untyped-def]
    with runtime.db.session() as s:
        found = s.get(Payment, uuid.UUID(payment_id))
        assert found is not None
        return found.status


def _set_amount(runtime, order_id: str, amount_fen: int) -> None:  # type: ignore[no-untyped-def]
    with transaction(runtime) as s:
        trade = s.scalars(select(SandboxUnionpayTrade).where(SandboxUnionpayTrade.order_id == order_id)).one()
        trade.amount_fen = amount_fen


def test_unionpay_is_a_statement_channel(runtime) -> None:  # type: ignore[no-untyped-def]
    assert METHOD in statement_channels(runtime)


def test_a_missed_notification_is_settled_by_reconciliation(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    body = _paid(client, world, notify=False)
    assert _status(runtime, body["id"]) == "pending"
    _next_day(runtime)
    summary = reconcile(runtime, METHOD, DAY)
    assert (summary.lines, summary.matched, summary.settled, summary.findings) == (1, 1, 1, [])
    assert _status(runtime, body["id"]) == "succeeded"
    with runtime.db.session() as s:
        payment = s.get(Payment, uuid.UUID(body["id"]))
        trade = s.scalars(
            select(SandboxUnionpayTrade).where(SandboxUnionpayTrade.order_id == body["out_trade_no"])
        ).one()
        assert payment is not None and payment.provider_trade_no == trade.query_id


def test_a_mismatch_and_an_unknown_payment_are_reported_and_nothing_changes(
    client, world, runtime, routed
) -> None:  # type: ignore[no-untyped-def]
    body = _paid(client, world, notify=False)
    _set_amount(runtime, body["out_trade_no"], 79400)  # the provider's record says another amount
    # a payment UnionPay took for this merchant that is not ours: a front form signed by our key
    stranger = signing.signed(
        {
            "version": fields.VERSION,
            "encoding": fields.ENCODING,
            "signMethod": signing.SIGN_METHOD,
            "certId": keys.cert_id(runtime.settings),
            "accessType": "0",
            "merId": keys.mer_id(runtime.settings),
            "txnType": fields.TXN_CONSUME,
            "txnSubType": "01",
            "bizType": fields.BIZ_GATEWAY,
            "channelType": "08",
            "orderId": "NOTOURS0001",
            "txnTime": fields.format_time(runtime.clock.now()),
            "txnAmt": "1000",
            "currencyCode": fields.CURRENCY_CNY,
            "backUrl": "http://testserver/none",
        },
        keys.sign_key(runtime.settings),
    )
    handed = client.post(
        "/sandbox/unionpay/orders",
        content=urlencode(stranger),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert handed.status_code == 201, handed.text
    client.post("/sandbox/unionpay/trades/NOTOURS0001/pay", json={"notify": False})
    _next_day(runtime)
    summary = reconcile(runtime, METHOD, DAY)
    kinds = sorted(
        (f.kind, f.out_trade_no, f.statement_amount_fen, f.our_amount_fen) for f in summary.findings
    )
    assert kinds == [
        ("amount_mismatch", body["out_trade_no"], 79400, 79500),
        ("unknown_payment", "NOTOURS0001", 1000, None),
    ]
    assert _status(runtime, body["id"]) == "pending"  # never changed silently
    with runtime.db.session() as s:
        assert s.scalar(select(func.count()).select_from(ReconciliationIssue)) == 2


def test_the_same_statement_twice_changes_nothing_and_a_later_one_is_processed(
    client, world, runtime, routed
) -> None:  # type: ignore[no-untyped-def]
    body = _paid(client, world, notify=False)
    _next_day(runtime)
    first = reconcile(runtime, METHOD, DAY)
    again = reconcile(runtime, METHOD, DAY)
    assert (first.settled, again.already_processed) == (1, True)
    _set_amount(runtime, body["out_trade_no"], 1)  # a corrected file of the same day: another content
    later = reconcile(runtime, METHOD, DAY)
    assert later.already_processed is False and [f.kind for f in later.findings] == ["amount_mismatch"]
    with runtime.db.session() as s:
        assert s.scalar(select(func.count()).select_from(StatementRun)) == 2


def test_a_success_the_statement_does_not_list_is_reported(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    body = _paid(client, world, notify=True)
    assert _status(runtime, body["id"]) == "succeeded"
    with transaction(runtime) as s:  # the provider lost it (or it was never theirs)
        s.delete(
            s.scalars(
                select(SandboxUnionpayTrade).where(SandboxUnionpayTrade.order_id == body["out_trade_no"])
            ).one()
        )
    _next_day(runtime)
    summary = reconcile(runtime, METHOD, DAY)
    assert [(f.kind, f.out_trade_no, f.our_amount_fen) for f in summary.findings] == [
        ("missing_in_statement", body["out_trade_no"], 79500)
    ]


def test_an_unpaid_order_is_not_in_the_file(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    _opened(client, world)
    _next_day(runtime)
    summary = reconcile(runtime, METHOD, DAY)
    assert (summary.lines, summary.findings) == (0, [])


def test_only_a_closed_day(runtime, set_now) -> None:  # type: ignore[no-untyped-def]
    set_now("2025-11-20T09:00:00+08:00")
    with pytest.raises(ReconcileRefused, match="只能对已结束的日期对账"):
        reconcile(runtime, METHOD, DAY)


def test_the_sandbox_file_in_the_documented_layout(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    body = _paid(client, world, notify=False)
    _next_day(runtime)
    statement = adapter_for(METHOD, runtime).statement(DAY)  # type: ignore[attr-defined]
    with zipfile.ZipFile(io.BytesIO(statement.raw)) as archive:
        mer_id = keys.mer_id(runtime.settings)
        assert archive.namelist() == [f"INN25112088ZM_{mer_id}"]
        rows = archive.read(archive.namelist()[0]).decode("utf-8").split("\r\n")
    with runtime.db.session() as s:
        trade = s.scalars(
            select(SandboxUnionpayTrade).where(SandboxUnionpayTrade.order_id == body["out_trade_no"])
        ).one()
    cells = rows[0].split("|")
    assert rows[1:] == [""] and len(cells) == len(bill.FIELDS)
    assert (cells[0], cells[6], cells[9], cells[11], cells[12], cells[13]) == (
        "S22",
        "000000079500",
        trade.query_id,
        body["out_trade_no"],
        mer_id,
        trade.txn_time,
    )
    assert trade.paid_at is not None
    assert statement.lines[0].completed_at == trade.paid_at.replace(microsecond=0)


def test_today_has_no_file(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ChannelError, match="（98）"):
        adapter_for(METHOD, runtime).statement(runtime.clock.today())  # type: ignore[attr-defined]


def test_an_unsigned_file_transfer_is_refused(client, runtime) -> None:  # type: ignore[no-untyped-def]
    answer = client.post(
        "/sandbox/unionpay/gateway/api/fileTransfer.do",
        content="version=5.1.0&txnType=76&settleDate=1120",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    parsed = fields.answer(answer.text)
    assert parsed["respCode"] == "11" and signing.verify(parsed, keys.verify_key(runtime.settings))


# --- the parser, on a hand-written file ----------------------------------------------------------------

ROWS = (
    "S22|00010000|00010000|123456|1120101502|621626******0018|000000716250|9399|08|"
    "251120021500123456789|0001|SB20251120021500123456|777290058110097|20251120101500|\r\n"
    "S30|00010000|00010000|223456|1120164000|621626******0018|000000000001|9399|08|"
    "251120084000000000001|0001|SB20251120084000000001|777290058110097|20251120164000|251120021500123456789\r\n"
    "E74|00010000|00010000|323456|1120170000|621626******0018|000000000100|9399|08|"
    "251120090000000000001|0001|SB20251120090000000001|777290058110097|20251120170000|\r\n"
)


def _zip(text: str, name: str = "INN25112088ZM_777290058110097") -> bytes:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as packed:
        packed.writestr(name, text.encode("utf-8"))
    return archive.getvalue()


def test_parse_a_hand_written_file_to_exact_fen() -> None:
    raw = _zip(ROWS)
    assert bill.decode_content(bill.encode_content(raw)) == raw
    statement = bill.parse(raw, DAY)
    assert [(ln.kind, ln.out_trade_no, ln.provider_trade_no, ln.amount_fen) for ln in statement.lines] == [
        ("payment", "SB20251120021500123456", "251120021500123456789", 716250),
        ("refund", "SB20251120084000000001", "251120084000000000001", 1),
    ]
    assert statement.lines[0].completed_at == datetime(2025, 11, 20, 2, 15, 2, tzinfo=UTC)
    assert statement.channel == "unionpay" and statement.raw == raw


def test_a_transmission_time_across_new_year_is_last_years() -> None:
    row = ROWS.splitlines()[0].replace("|1120101502|", "|1231235959|")
    (line,) = bill.parse(_zip(row), date(2026, 1, 1)).lines
    assert line.completed_at == datetime(2025, 12, 31, 15, 59, 59, tzinfo=UTC)


@pytest.mark.parametrize(
    "broken",
    [
        b"not a zip",
        _zip(ROWS, name="README.txt"),
        _zip(ROWS.replace("|000000716250|", "|716250|")),  # not 12 digits
        _zip(ROWS.replace("|000000716250|", "|00000071625a|")),
        _zip(ROWS.replace("|0001|SB20251120021500123456|", "|SB20251120021500123456|", 1)),  # a field short
        _zip(ROWS.replace("|1120101502|", "|1320101502|")),  # no 13th month
        _zip(ROWS.replace("|251120021500123456789|0001|", "||0001|", 1)),  # no queryId
    ],
)
def test_a_malformed_file_is_refused(broken: bytes) -> None:
    with pytest.raises(ChannelError):
        bill.parse(broken, DAY)


def test_undecodable_content_is_refused() -> None:
    with pytest.raises(ChannelError, match="无法解码"):
        bill.decode_content("!!not base64!!")
