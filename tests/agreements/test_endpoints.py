"""`/api/v1/agreements` against the sandbox bank (its real signed messages, in-process)."""

from __future__ import annotations

import re
import uuid
from datetime import datetime

from sqlalchemy import func, select, text

from shebao.agreements.accounts import account_index
from shebao.agreements.models import Agreement
from shebao.agreements.service import confirm_revocations, take_effect
from shebao.audit.models import AuditEntry
from shebao.sandbox.bank.models import SandboxBankAgreement
from tests.support.agreements import (
    CHAOYANG_OFFICE,
    ZHANG_CARD,
    ZHANG_OTHER_CARD,
    bank_mode,
    card,
    next_day,
    open_account,
    sign,
    signed,
)
from tests.support.payments import move_clock
from tests.support.people import bearer_for

AGREEMENT_NO = re.compile(r"^[A-HJ-NP-Za-km-z2-9]{32}$")


def _count(runtime, model) -> int:  # type: ignore[no-untyped-def]
    with runtime.db.session() as s:
        found: int = s.scalar(select(func.count()).select_from(model))
        return found


def _actions(runtime) -> list[str]:  # type: ignore[no-untyped-def]
    with runtime.db.session() as s:
        return list(
            s.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.object_type == "agreement")
                .order_by(AuditEntry.occurred_at, AuditEntry.id)
            )
        )


def test_sign_is_pending_until_the_next_day_in_shanghai(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    open_account(client, ZHANG_CARD, "张三")
    body = signed(
        client, world.zhang_headers, withhold=True, withhold_schemes=["resident_pension", "resident_medical"]
    )
    assert (body["status"], body["status_label"], body["effective_from"]) == (
        "pending",
        "待生效",
        "2025-11-21",
    )
    assert AGREEMENT_NO.match(body["agreement_no"])
    assert body["account_no"] == "622202*********0117" and body["payer_name"] == "*三"
    assert (body["bank_name"], body["branch_name"], body["tax_office_name"]) == (
        "中国工商银行",
        "中国工商银行北京西单支行",
        "国家税务总局北京市西城区税务局 什刹海税务所",
    )
    assert body["withhold_schemes"] == ["resident_medical", "resident_pension"]
    assert body["withhold_scheme_labels"] == ["城乡居民基本医疗保险", "城乡居民养老保险"]
    assert body["failure_reason"] is None
    listed = client.get("/api/v1/agreements", headers=world.zhang_headers).json()["items"]
    assert [(a["id"], a["status"]) for a in listed] == [(body["id"], "pending")]

    move_clock(runtime, datetime.fromisoformat("2025-11-21T00:00:01+08:00") - runtime.clock.now())
    one = client.get(f"/api/v1/agreements/{body['id']}", headers=bearer_for(runtime, world.zhang)).json()
    assert (one["status"], one["status_label"]) == ("active", "已生效")  # read against the service clock
    assert take_effect(runtime) == 1  # the sweep persists it
    assert take_effect(runtime) == 0
    with runtime.db.session() as s:
        assert s.get(Agreement, uuid.UUID(body["id"])).status == "active"  # type: ignore[union-attr]
    assert _actions(runtime) == ["agreement.sign", "agreement.effective"]


def test_effective_day_counts_in_shanghai_not_utc(client, world, runtime, routed, set_now) -> None:  # type: ignore[no-untyped-def]
    set_now("2025-11-21T07:30:00+08:00")  # still 2025-11-20 in UTC
    open_account(client, ZHANG_CARD, "张三")
    body = signed(client, bearer_for(runtime, world.zhang))
    assert body["effective_from"] == "2025-11-22"
    move_clock(runtime, datetime.fromisoformat("2025-11-21T23:59:59+08:00") - runtime.clock.now())
    headers = bearer_for(runtime, world.zhang)
    assert client.get(f"/api/v1/agreements/{body['id']}", headers=headers).json()["status"] == "pending"
    move_clock(runtime, datetime.fromisoformat("2025-11-22T00:00:00+08:00") - runtime.clock.now())
    assert client.get(f"/api/v1/agreements/{body['id']}", headers=headers).json()["status"] == "active"


def test_cardholder_must_be_the_payer_and_nothing_is_stored(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    open_account(client, ZHANG_CARD, "张三丰")
    answer = sign(client, world.zhang_headers, holder="张三丰")
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert (error["code"], error["message"]) == ("holder_name_mismatch", "持卡人姓名与缴费人姓名不一致")
    assert _count(runtime, Agreement) == 0 and _count(runtime, SandboxBankAgreement) == 0
    assert _actions(runtime) == []


def test_account_number_has_the_banks_format(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    cases = {
        "6222 0200 0000 0000 11A": "银行账号只能由数字组成",
        "62220200000000001": "中国工商银行的银行账号应为16或19位数字",
        "6222020000000000118": "银行账号有误，请核对后重新输入",  # Luhn
        card("621700"): "该账号属于中国建设银行，与所选开户银行不一致",
        "": "请输入银行账号",
    }
    for account_no, message in cases.items():
        answer = sign(client, world.zhang_headers, account_no=account_no)
        assert answer.status_code == 422, account_no
        assert answer.json()["error"]["message"] == message, account_no
        assert answer.json()["error"]["fields"] == {"account_no": message}
    assert _count(runtime, Agreement) == 0


def test_account_number_may_be_typed_in_groups(client, world, routed) -> None:  # type: ignore[no-untyped-def]
    open_account(client, ZHANG_CARD, "张三")
    grouped = " ".join(ZHANG_CARD[i : i + 4] for i in range(0, len(ZHANG_CARD), 4))
    assert signed(client, world.zhang_headers, account_no=grouped)["account_no"] == "622202*********0117"


def test_reference_choices_are_checked(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    cases = [
        ({"tax_office_code": "99999999999"}, "tax_office_code", "请选择税务机关"),
        ({"agency_code": "nope"}, "agency_code", "请选择社保经办机构"),
        ({"bank_code": "999"}, "bank_code", "请选择开户银行"),
        ({"bank_region_code": "110115-BDA"}, "bank_region_code", "请选择银行行政区划"),
        ({"branch_code": "105100002019"}, "branch_code", "请选择银行网点"),
        ({"bank_region_code": "110101"}, "branch_code", "所选银行网点不属于该开户银行或行政区划，请重新选择"),
        ({"holder_name": "  "}, "holder_name", "请输入持卡人姓名"),
        ({"withhold": True}, "withhold_schemes", "选择银行代扣时，请选择代扣险种"),
    ]
    for overrides, field, message in cases:
        answer = sign(client, world.zhang_headers, **overrides)
        assert answer.status_code == 422, overrides
        assert answer.json()["error"]["fields"] == {field: message}, overrides
    bad = client.post("/api/v1/agreements", json={"amount_fen": 1}, headers=world.zhang_headers)
    assert bad.status_code == 422
    wrong_scheme = sign(client, world.zhang_headers, withhold=True, withhold_schemes=["car"])
    assert wrong_scheme.status_code == 422
    assert _count(runtime, Agreement) == 0


def test_withhold_schemes_only_with_withholding(client, world, routed) -> None:  # type: ignore[no-untyped-def]
    open_account(client, ZHANG_CARD, "张三")
    body = signed(client, world.zhang_headers, withhold=False, withhold_schemes=["resident_pension"])
    assert (body["withhold"], body["withhold_schemes"]) == (False, [])


def test_the_bank_refuses_a_name_mismatch_and_it_is_stored_as_rejected(
    client, world, runtime, routed
) -> None:  # type: ignore[no-untyped-def]
    open_account(client, ZHANG_CARD, "张叁")  # the bank knows the account under another name
    body = signed(client, world.zhang_headers)
    assert (body["status"], body["status_label"], body["failure_reason"]) == (
        "rejected",
        "签约失败",
        "账号与户名不符",
    )
    assert body["effective_from"] is None
    assert _count(runtime, SandboxBankAgreement) == 0
    assert _actions(runtime) == ["agreement.sign"]
    # A refusal holds nothing: once the bank's records are right, the same account signs.
    open_account(client, ZHANG_CARD, "张三")
    assert signed(client, world.zhang_headers)["status"] == "pending"


def test_other_bank_refusals(client, world, routed) -> None:  # type: ignore[no-untyped-def]
    assert signed(client, world.zhang_headers)["failure_reason"] == "账号不存在"
    open_account(client, ZHANG_CARD, "张三", status="frozen")
    assert signed(client, world.zhang_headers)["failure_reason"] == "账户状态异常，不能扣款"
    open_account(client, ZHANG_CARD, "张三")
    bank_mode(client, "refuse", "该账户不支持签约")
    assert signed(client, world.zhang_headers)["failure_reason"] == "该账户不支持签约"


def test_bank_closed_or_silent_stores_nothing(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    open_account(client, ZHANG_CARD, "张三")
    bank_mode(client, "closed")
    closed = sign(client, world.zhang_headers)
    assert closed.status_code == 409
    assert closed.json()["error"] == {"code": "bank_unavailable", "message": "银行系统维护中，请稍后再试"}
    bank_mode(client, "lost")
    silent = sign(client, world.zhang_headers)
    assert silent.status_code == 409 and silent.json()["error"]["message"] == "银行暂时无法受理，请稍后再试"
    assert _count(runtime, Agreement) == 0


def test_one_live_agreement_per_account_and_tax_office(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    open_account(client, ZHANG_CARD, "张三")
    open_account(client, ZHANG_OTHER_CARD, "张三")
    first = signed(client, world.zhang_headers)
    twice = sign(client, world.zhang_headers)
    assert twice.status_code == 409
    assert twice.json()["error"]["message"] == "该银行账号已与该税务机关签订缴费协议，无需重复签订"
    next_day(runtime)  # effective or not, it is live
    world.zhang_headers = bearer_for(runtime, world.zhang)
    assert sign(client, world.zhang_headers).status_code == 409
    # Several accounts, and one account with several tax offices, are fine.
    assert signed(client, world.zhang_headers, account_no=ZHANG_OTHER_CARD)["status"] == "pending"
    assert signed(client, world.zhang_headers, tax_office_code=CHAOYANG_OFFICE)["status"] == "pending"
    # Revoked, the account and tax office may sign again.
    assert (
        client.post(f"/api/v1/agreements/{first['id']}/revoke", headers=world.zhang_headers).status_code
        == 200
    )
    again = signed(client, world.zhang_headers)
    assert again["agreement_no"] != first["agreement_no"]
    numbers = [
        a["agreement_no"]
        for a in client.get("/api/v1/agreements", headers=world.zhang_headers).json()["items"]
    ]
    assert len(numbers) == len(set(numbers)) == 4


def test_revoke_stops_use_and_tells_the_bank(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    open_account(client, ZHANG_CARD, "张三")
    body = signed(client, world.zhang_headers)
    revoked = client.post(f"/api/v1/agreements/{body['id']}/revoke", headers=world.zhang_headers)
    assert revoked.status_code == 200
    assert (revoked.json()["status"], revoked.json()["status_label"]) == ("revoked", "已撤销")
    assert revoked.json()["revoked_at"] is not None
    again = client.post(f"/api/v1/agreements/{body['id']}/revoke", headers=world.zhang_headers)
    assert again.status_code == 409 and again.json()["error"]["message"] == "该协议已撤销"
    with runtime.db.session() as s:
        at_bank = s.scalars(select(SandboxBankAgreement)).one()
        ours = s.get(Agreement, uuid.UUID(body["id"]))
        assert at_bank.status == "revoked" and ours is not None and ours.bank_revoked_at is not None
    assert _actions(runtime) == ["agreement.sign", "agreement.revoke"]


def test_a_revocation_the_bank_missed_is_sent_again(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    open_account(client, ZHANG_CARD, "张三")
    body = signed(client, world.zhang_headers)
    bank_mode(client, "lost")
    revoked = client.post(f"/api/v1/agreements/{body['id']}/revoke", headers=world.zhang_headers)
    assert revoked.json()["status"] == "revoked"  # stopped at once on our side
    assert confirm_revocations(runtime) == 0
    bank_mode(client, "normal")
    assert confirm_revocations(runtime) == 1
    assert confirm_revocations(runtime) == 0
    with runtime.db.session() as s:
        assert s.scalars(select(SandboxBankAgreement.status)).one() == "revoked"


def test_a_rejected_agreement_cannot_be_revoked(client, world, routed) -> None:  # type: ignore[no-untyped-def]
    body = signed(client, world.zhang_headers)
    answer = client.post(f"/api/v1/agreements/{body['id']}/revoke", headers=world.zhang_headers)
    assert answer.status_code == 409 and answer.json()["error"]["message"] == "签约失败的协议无需撤销"


def test_agreements_are_the_payers_own(client, world, routed) -> None:  # type: ignore[no-untyped-def]
    open_account(client, ZHANG_CARD, "张三")
    body = signed(client, world.zhang_headers)
    assert client.get(f"/api/v1/agreements/{body['id']}", headers=world.li_headers).status_code == 404
    assert client.post(f"/api/v1/agreements/{body['id']}/revoke", headers=world.li_headers).status_code == 404
    assert client.get("/api/v1/agreements", headers=world.li_headers).json() == {
        "items": [],
        "next_cursor": None,
    }
    assert client.get("/api/v1/agreements/not-an-id", headers=world.zhang_headers).status_code == 422
    assert client.get("/api/v1/agreements").status_code == 401


def test_account_numbers_are_encrypted_and_masked(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    open_account(client, ZHANG_CARD, "张三")
    body = signed(client, world.zhang_headers)
    listed = client.get("/api/v1/agreements", headers=world.zhang_headers).text
    assert ZHANG_CARD not in listed and "张三" not in listed
    with runtime.db.engine.connect() as conn:
        raw = conn.execute(text("SELECT account_no, holder_name, account_index FROM agreements")).one()
    assert ZHANG_CARD.encode() not in bytes(raw[0]) and "张三".encode() not in bytes(raw[1])
    assert raw[2] == account_index("102", ZHANG_CARD)
    with runtime.db.session() as s:
        assert s.get(Agreement, uuid.UUID(body["id"])).account_no == ZHANG_CARD  # type: ignore[union-attr]


def test_list_for_a_declaration_says_which_can_pay(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    from tests.support.payments import declare

    open_account(client, ZHANG_CARD, "张三")
    open_account(client, ZHANG_OTHER_CARD, "张三")
    here = signed(client, world.zhang_headers)
    there = signed(client, world.zhang_headers, account_no=ZHANG_OTHER_CARD, tax_office_code=CHAOYANG_OFFICE)
    declared = declare(client, world.zhang_headers)
    params = {"declaration_id": declared["id"]}
    rows = {
        a["id"]: a
        for a in client.get("/api/v1/agreements", params=params, headers=world.zhang_headers).json()["items"]
    }
    assert (rows[here["id"]]["usable"], rows[here["id"]]["unusable_reason"]) == (
        False,
        "协议待生效，2025-11-21起可用",
    )
    next_day(runtime)
    world.zhang_headers, world.wang_headers = (
        bearer_for(runtime, world.zhang),
        bearer_for(runtime, world.wang),
    )
    rows = {
        a["id"]: a
        for a in client.get("/api/v1/agreements", params=params, headers=world.zhang_headers).json()["items"]
    }
    assert (rows[here["id"]]["usable"], rows[here["id"]]["unusable_reason"]) == (True, None)
    assert rows[there["id"]]["unusable_reason"] == "协议的税务机关与申报的主管税务机关不一致"
    # Another payer's declaration is not found, as ever.
    assert client.get("/api/v1/agreements", params=params, headers=world.wang_headers).status_code == 404


def test_bank_verifications_are_limited_per_payer_and_day(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    for _ in range(10):
        assert (
            signed(client, world.zhang_headers)["status"] == "rejected"
        )  # 账号不存在, each asked of the bank
    eleventh = sign(client, world.zhang_headers)
    assert (
        eleventh.status_code == 429 and eleventh.json()["error"]["message"] == "今日签约次数过多，请明天再试"
    )
    assert _count(runtime, Agreement) == 10
    # What is refused before the bank is refused as ever; another payer is not affected.
    assert sign(client, world.zhang_headers, holder="李四").status_code == 422
    open_account(client, card("622202", serial=31), "李四")
    assert (
        signed(client, world.li_headers, account_no=card("622202", serial=31), holder="李四")["status"]
        == "pending"
    )
