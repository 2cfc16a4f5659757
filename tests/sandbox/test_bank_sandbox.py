"""The sandbox bank: accounts, signed messages only, one deduction per message id, switches, ledger."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI
from sqlalchemy import text

from shebao.channels import ChannelDebit, ChannelDeclined, ChannelOrder, ChannelTimeout
from shebao.channels.bank import AgreementCheck, BankAdapter, bank_adapter, codes, keys, messages
from shebao.runtime import Runtime
from tests.support.agreements import ICBC, ICBC_XICHENG_BRANCH, XICHENG_OFFICE, ZHANG_CARD, bank_mode, card
from tests.support.providers import routed_to

AGREEMENT_NO = "TESTAGREEMENT0000000000000000001"


@pytest.fixture
def routed(app: FastAPI) -> Iterator[None]:
    with routed_to(app):
        yield


@pytest.fixture
def bank(runtime: Runtime, routed: None) -> BankAdapter:
    """The production adapter with dev keys, talking to the sandbox bank in-process."""
    return bank_adapter(runtime.settings, now=runtime.clock.now)


def _account(client, account_no: str = ZHANG_CARD, holder: str = "张三", balance_fen: int = 100000, **extra):  # type: ignore[no-untyped-def]
    return client.post(
        "/sandbox/bank/accounts",
        json={
            "bank_code": ICBC,
            "account_no": account_no,
            "holder_name": holder,
            "balance_fen": balance_fen,
            **extra,
        },
    )


def _check(account_no: str = ZHANG_CARD, holder: str = "张三") -> AgreementCheck:
    return AgreementCheck(AGREEMENT_NO, ICBC, ICBC_XICHENG_BRANCH, account_no, holder, XICHENG_OFFICE)


def _order(runtime: Runtime, out_trade_no: str, amount_fen: int, holder: str = "张三") -> ChannelOrder:
    now = runtime.clock.now()
    return ChannelOrder(
        out_trade_no=out_trade_no,
        amount_fen=amount_fen,
        subject="社保费缴纳",
        client_channel="h5",
        platform_user_id=None,
        notify_url="",
        return_url="",
        expires_at=now + timedelta(minutes=30),
        debit=ChannelDebit(AGREEMENT_NO, ICBC, ICBC_XICHENG_BRANCH, ZHANG_CARD, holder, XICHENG_OFFICE),
    )


def test_accounts_open_read_and_update(client, runtime) -> None:  # type: ignore[no-untyped-def]
    opened = _account(client)
    assert opened.status_code == 201
    read = client.get(f"/sandbox/bank/accounts/{ICBC}/{ZHANG_CARD}")
    assert read.status_code == 200
    body = read.json()
    assert (body["holder_name"], body["balance_fen"], body["status"]) == ("张三", 100000, "normal")
    updated = _account(client, balance_fen=5, status="frozen")
    assert updated.status_code == 200 and (updated.json()["balance_fen"], updated.json()["status"]) == (
        5,
        "frozen",
    )
    assert client.get(f"/sandbox/bank/accounts/{ICBC}/6222020000000000000").status_code == 404
    for bad in (
        {"bank_code": "999"},
        {"account_no": "62AB"},
        {"balance_fen": -1},
        {"status": "sleeping"},
        {"holder_name": ""},
    ):
        assert _account(client, **bad).status_code == 422, bad
    with runtime.db.engine.connect() as conn:
        holder, number = conn.execute(text("SELECT holder_name, account_no FROM sandbox_bank_accounts")).one()
    assert "张三".encode() not in bytes(holder) and ZHANG_CARD.encode() not in bytes(number)


def test_verify_registers_the_agreement_or_says_why_not(client, bank) -> None:  # type: ignore[no-untyped-def]
    assert bank.verify_agreement(_check()).code == codes.NO_ACCOUNT
    _account(client, holder="张叁")
    refused = bank.verify_agreement(_check())
    assert (refused.code, refused.message, refused.ok) == (codes.NAME_MISMATCH, "账号与户名不符", False)
    _account(client)
    answer = bank.verify_agreement(_check())
    assert answer.ok and answer.msg_id.startswith("AV")
    assert bank.revoke_agreement(AGREEMENT_NO, ICBC).code == codes.SUCCESS
    assert bank.revoke_agreement("NOSUCHAGREEMENT", ICBC).code == codes.NO_AGREEMENT


def test_a_message_sent_twice_deducts_once(client, runtime, bank) -> None:  # type: ignore[no-untyped-def]
    _account(client)
    bank.verify_agreement(_check())
    first = bank.create(_order(runtime, "SB20251120090000000001", 30000))
    again = bank.create(_order(runtime, "SB20251120090000000001", 30000))
    assert first.outcome is not None and again.outcome is not None
    assert (first.outcome.status, first.outcome.amount_fen) == ("succeeded", 30000)
    assert again.outcome.provider_trade_no == first.outcome.provider_trade_no
    assert client.get(f"/sandbox/bank/accounts/{ICBC}/{ZHANG_CARD}").json()["balance_fen"] == 70000
    entries = client.get(f"/sandbox/bank/accounts/{ICBC}/{ZHANG_CARD}/ledger").json()["items"]
    assert [(e["msg_id"], e["amount_fen"], e["balance_after_fen"]) for e in entries] == [
        ("SB20251120090000000001", 30000, 70000)
    ]
    state = bank.query("SB20251120090000000001")
    assert (state.status, state.amount_fen, state.provider_trade_no) == (
        "succeeded",
        30000,
        first.outcome.provider_trade_no,
    )
    assert bank.query("SB20251120090000000999").status == "not_found"
    assert bank.close("SB20251120090000000999") is True
    assert bank.close("SB20251120090000000001") is False  # a deduction done cannot be closed


def test_refusals_are_in_the_ledger_and_answer_queries(client, runtime, bank) -> None:  # type: ignore[no-untyped-def]
    _account(client, balance_fen=100)
    bank.verify_agreement(_check())
    with pytest.raises(ChannelDeclined) as declined:
        bank.create(_order(runtime, "SB20251120090000000002", 30000))
    assert declined.value.reason == "余额不足"
    state = bank.query("SB20251120090000000002")
    assert (state.status, state.failure_reason) == ("failed", "余额不足")
    with pytest.raises(ChannelDeclined, match="协议不存在或已撤销"):
        bank.create(_other_agreement(runtime))


def _other_agreement(runtime: Runtime) -> ChannelOrder:
    order = _order(runtime, "SB20251120090000000004", 50)
    assert order.debit is not None
    debit = ChannelDebit("UNKNOWNAGREEMENT", ICBC, ICBC_XICHENG_BRANCH, ZHANG_CARD, "张三", XICHENG_OFFICE)
    return ChannelOrder(**{**order.__dict__, "debit": debit})


NORMAL = {"mode": "normal", "reason": None, "batch_late_percent": 0}


def test_switches(client, runtime, bank) -> None:  # type: ignore[no-untyped-def]
    _account(client)
    bank.verify_agreement(_check())
    assert client.get("/sandbox/bank/controls").json() == NORMAL
    bank_mode(client, "closed")
    with pytest.raises(ChannelDeclined, match="银行系统维护中，请稍后再试"):
        bank.create(_order(runtime, "SB20251120090000000010", 100))
    bank_mode(client, "lost")
    with pytest.raises(ChannelTimeout):
        bank.create(_order(runtime, "SB20251120090000000011", 100))
    bank_mode(client, "timeout")
    with pytest.raises(ChannelTimeout):
        bank.create(_order(runtime, "SB20251120090000000012", 100))
    bank_mode(client, "normal")
    assert bank.query("SB20251120090000000010").status == "not_found"  # closed: nothing was done
    assert bank.query("SB20251120090000000011").status == "not_found"  # lost before the bank
    assert bank.query("SB20251120090000000012").status == "succeeded"  # done, the answer lost
    assert client.get(f"/sandbox/bank/accounts/{ICBC}/{ZHANG_CARD}").json()["balance_fen"] == 99900
    assert client.post("/sandbox/bank/controls", json={"mode": "asleep"}).status_code == 422


def test_revocation_at_the_counter(client, runtime, bank) -> None:  # type: ignore[no-untyped-def]
    _account(client)
    bank.verify_agreement(_check())
    answer = client.post(f"/sandbox/bank/agreements/{AGREEMENT_NO}/revoke")
    assert answer.json() == {"agreement_no": AGREEMENT_NO, "status": "revoked"}
    with pytest.raises(ChannelDeclined, match="协议不存在或已撤销"):
        bank.create(_order(runtime, "SB20251120090000000020", 100))
    assert client.post("/sandbox/bank/agreements/NOPE/revoke").status_code == 404


def test_the_gateway_takes_only_signed_fresh_messages(client, runtime) -> None:  # type: ignore[no-untyped-def]
    now = runtime.clock.now()
    head = messages.Head(
        codes.QUERY, "DQ1", runtime.settings.bank_node_code, messages.FRONT_END, messages.stamp(now)
    )
    raw = messages.encode(messages.Message(head, {"orig_msg_id": "X"}))
    ours = keys.private_key(runtime.settings)
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cases = {
        "unsigned": {},
        "forged": {messages.SIGNATURE_HEADER: messages.sign(raw, stranger)},
    }
    for name, headers in cases.items():
        answer = client.post("/sandbox/bank/gateway", content=raw, headers=headers)
        assert answer.status_code == 400, name
    stale_head = messages.Head(
        codes.QUERY, "DQ2", "SHEBAO", messages.FRONT_END, messages.stamp(now - timedelta(minutes=6))
    )
    stale = messages.encode(messages.Message(stale_head, {"orig_msg_id": "X"}))
    assert (
        client.post(
            "/sandbox/bank/gateway",
            content=stale,
            headers={messages.SIGNATURE_HEADER: messages.sign(stale, ours)},
        ).status_code
        == 400
    )
    good = client.post(
        "/sandbox/bank/gateway", content=raw, headers={messages.SIGNATURE_HEADER: messages.sign(raw, ours)}
    )
    assert good.status_code == 200
    answer = messages.read_signed(
        good.content, good.headers[messages.SIGNATURE_HEADER], keys.bank_public_key(runtime.settings), now=now
    )
    assert (answer.head.answer_to, answer.body["code"]) == ("DQ1", codes.NOT_FOUND)
    bad_body = messages.encode(
        messages.Message(
            messages.Head(codes.DEDUCT, "SB1", "SHEBAO", messages.FRONT_END, messages.stamp(now)),
            {"amount_fen": "1"},
        )
    )
    answer = client.post(
        "/sandbox/bank/gateway",
        content=bad_body,
        headers={messages.SIGNATURE_HEADER: messages.sign(bad_body, ours)},
    )
    assert answer.status_code == 400


def test_an_answer_signed_by_someone_else_leaves_the_deduction_unknown(client, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    _account(client)
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    adapter = BankAdapter(
        gateway=keys.gateway(runtime.settings),
        node_code=runtime.settings.bank_node_code,
        private_key=keys.private_key(runtime.settings),
        bank_public_key=stranger.public_key(),
        now=runtime.clock.now,
    )
    with pytest.raises(ChannelTimeout):  # money may have moved: never "failed"
        adapter.create(_order(runtime, "SB20251120090000000030", 100))


def test_card_numbers_for_tests_have_a_valid_check_digit() -> None:
    from shebao.agreements.accounts import luhn_ok

    assert luhn_ok(card("622202")) and len(card("621700", 16)) == 16
    assert datetime.fromisoformat(
        messages.stamp(datetime.fromisoformat("2025-11-20T01:00:00+00:00"))
    ).utcoffset() == timedelta(hours=8)


@pytest.mark.parametrize("reason", ["余额\u0000不足", "\u0007", "第一行\n第二行"])
def test_a_control_character_in_a_reason_is_a_422_on_every_database(client, reason: str) -> None:  # type: ignore[no-untyped-def]
    answer = client.post("/sandbox/bank/controls", json={"mode": "refuse", "reason": reason})
    assert answer.status_code == 422
    assert "不能含有控制字符" in answer.json()["error"]["message"]
    assert client.get("/sandbox/bank/controls").json() == NORMAL
