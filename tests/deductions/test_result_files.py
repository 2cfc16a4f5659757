"""A bank result file is checked whole before anything of it is applied: a malformed one is refused
whole (logged, its reason on the batch), nothing applied, and the genuine file is applied later."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from shebao.channels.bank import keys
from shebao.channels.bank.batch import (
    ResultHeader,
    ResultItem,
    SignedWriter,
    write_result_header,
    write_result_item,
)
from shebao.deductions import exchange
from shebao.deductions.models import Deduction, DeductionBatch, DeductionResult
from shebao.deductions.run import collect_all, lines_of, run
from shebao.deductions.watch import RunRepository
from shebao.payments.models import Payment
from tests.support.deductions import agreements, create
from tests.support.payments import move_clock

SETTLED = datetime.fromisoformat("2025-11-21T10:00:00+08:00")


@pytest.fixture
def sent(client, runtime, world, routed) -> tuple[DeductionBatch, Deduction]:  # type: ignore[no-untyped-def]
    ids = agreements(client, runtime, world)
    assert (
        client.post("/sandbox/bank/controls", json={"mode": "normal", "batch_late_percent": 100}).status_code
        == 200
    )
    create(client, world.zhang_headers, ids["zhang"], payer_id=world.li_family_id, valid_to=2025)
    run(runtime, date(2025, 11, 21))
    with runtime.db.session() as s:
        return s.scalars(select(DeductionBatch)).one(), s.scalars(select(Deduction)).one()


def _file(
    runtime, path: Path, batch: DeductionBatch, items: list[ResultItem], *, key=None, totals=None, part=2
) -> Path:  # type: ignore[no-untyped-def]
    lines: list[str] = []
    writer = SignedWriter(key or keys.sandbox_private_key(runtime.settings), lines.append)
    write_result_header(writer, ResultHeader(batch.batch_no, part, batch.bank_code, SETTLED))
    for item in items:
        write_result_item(writer, item)
    ok = [i for i in items if i.succeeded]
    writer.line("T", *(totals or (len(items), len(ok), sum(i.amount_fen for i in ok))))
    writer.finish()
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_malformed_result_files_are_refused_whole(runtime, sent, tmp_path) -> None:  # type: ignore[no-untyped-def]
    batch, deduction = sent
    good = ResultItem(deduction.item_id, "0000", "交易成功", deduction.amount_fen, "BP1", SETTLED)
    ours = keys.private_key(runtime.settings)  # not the bank's key
    cases = {
        "文件验签失败": _file(runtime, tmp_path / "a", batch, [good], key=ours),
        "结果文件中有本批次没有的明细：KK000000000000000000000001": _file(
            runtime,
            tmp_path / "b",
            batch,
            [good, ResultItem("KK000000000000000000000001", "0000", "交易成功", 100, "BP2", SETTLED)],
        ),
        f"明细金额与批次不符：{deduction.item_id}": _file(
            runtime,
            tmp_path / "c",
            batch,
            [ResultItem(deduction.item_id, "0000", "交易成功", 1, "BP1", SETTLED)],
        ),
        "汇总行与明细不符": _file(runtime, tmp_path / "d", batch, [good], totals=(1, 1, 1)),
        "结果文件中有重复的明细": _file(runtime, tmp_path / "e", batch, [good, good]),
        "结果文件头的批次号、序号或银行与批次不符": _file(runtime, tmp_path / "f", batch, [good], part=3),
    }
    garbage = tmp_path / "g"
    garbage.write_bytes(b"\xff\xfe not a result file\n")
    for reason, path in cases.items():
        with pytest.raises(exchange.ResultRefused) as refused:
            exchange.stage(runtime, batch, 2, path)
        assert refused.value.reason == reason
    with pytest.raises(exchange.ResultRefused):
        exchange.stage(runtime, batch, 2, garbage)
    with runtime.db.session() as s:
        assert s.scalar(select(func.count()).select_from(DeductionResult)) == 0  # nothing staged
        assert s.get(Deduction, deduction.id).status == "planned"  # type: ignore[union-attr]
        assert s.get(Payment, deduction.payment_id).status == "pending"  # type: ignore[union-attr]
        assert s.get(DeductionBatch, batch.id).refusal.startswith("结果文件2被拒收：")  # type: ignore[union-attr]


def test_an_item_of_a_sent_batch_is_shown_sent_and_applied_from_planned(runtime, sent) -> None:  # type: ignore[no-untyped-def]
    """Decision 0022: the item keeps `planned`; its batch says it was sent."""
    batch, deduction = sent
    with runtime.db.session() as s:
        assert (deduction.status, s.get(DeductionBatch, batch.id).status) == ("planned", "sent")  # type: ignore[union-attr]
        progress = RunRepository(s).progress([batch.run_id], tax_office_code=None)[batch.run_id]
        assert [(t.status, t.count) for t in progress.tallies] == [
            ("planned", 0),
            ("sent", 1),
            ("succeeded", 0),
            ("failed", 0),
            ("cancelled", 0),
        ]
    assert [(line.status, line.count) for line in lines_of(runtime, date(2025, 11, 21))] == [("sent", 1)]


def test_the_genuine_file_is_applied_after_a_refusal(runtime, sent, tmp_path) -> None:  # type: ignore[no-untyped-def]
    batch, deduction = sent
    with pytest.raises(exchange.ResultRefused):
        exchange.stage(runtime, batch, 2, _file(runtime, tmp_path / "x", batch, [], totals=(1, 0, 0)))
    move_clock(runtime, timedelta(minutes=31))
    assert collect_all(runtime) == []
    with runtime.db.session() as s:
        assert s.get(Deduction, deduction.id).status == "succeeded"  # type: ignore[union-attr]
        found = s.get(DeductionBatch, batch.id)
        assert (found.status, found.parts_applied, found.refusal) == ("answered", 2, None)  # type: ignore[union-attr]
