"""The console's refund API and pages: roles, maker-checker, tax offices, audit with the operator."""

from __future__ import annotations

from sqlalchemy import select

from shebao.audit.models import AuditEntry
from tests.support.console import XICHENG, staff_headers
from tests.support.refunds import duplicate_by_alipay, refund_of

BASE = "/api/v1/console/refunds"


def _setup(client, runtime, world):  # type: ignore[no-untyped-def]
    late = duplicate_by_alipay(client, runtime, world.zhang_headers)
    refund = refund_of(runtime, late["id"])
    office = refund.tax_office_code
    heads = {
        role: staff_headers(client, runtime, role=role, office=office, username=f"{role}1")
        for role in ("viewer", "operator", "approver", "admin")
    }
    heads["approver2"] = staff_headers(client, runtime, role="approver", office=office, username="approver2")
    other = XICHENG if office != XICHENG else "11101010001"
    heads["stranger"] = staff_headers(client, runtime, role="approver", office=other, username="stranger")
    return late, refund, heads


def test_the_list_by_status_and_another_offices_404(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    late, refund, heads = _setup(client, runtime, world)
    listed = client.get(BASE, params={"status": "pending"}, headers=heads["viewer"])
    assert listed.status_code == 200, listed.text
    assert [
        {k: item[k] for k in ("id", "status", "payment_id", "method", "amount_fen")}
        for item in listed.json()["items"]
    ] == [
        {
            "id": str(refund.id),
            "status": "pending",
            "payment_id": late["id"],
            "method": "alipay",
            "amount_fen": 79500,
        }
    ]
    assert listed.json()["next_cursor"] is None
    assert client.get(BASE, params={"status": "succeeded"}, headers=heads["viewer"]).json()["items"] == []
    assert client.get(BASE, params={"status": "nonsense"}, headers=heads["viewer"]).status_code == 422
    assert client.get(BASE, headers=heads["stranger"]).json()["items"] == []
    assert client.get(f"{BASE}/{refund.id}", headers=heads["stranger"]).status_code == 404
    stranger = client.post(f"{BASE}/{refund.id}/propose", json={"reason": "x"}, headers=heads["stranger"])
    assert stranger.status_code == 404 and stranger.json()["error"]["message"] == "退费记录不存在"
    assert client.get(BASE).status_code == 401
    detail = client.get(f"{BASE}/{refund.id}", headers=heads["viewer"]).json()
    assert (detail["out_trade_no"], detail["payer_name"], detail["status_label"]) == (
        late["out_trade_no"],
        "*三",
        "待退款",
    )


def test_maker_checker_through_the_api(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    late, refund, heads = _setup(client, runtime, world)
    url = f"{BASE}/{refund.id}"
    assert client.post(f"{url}/propose", json={"reason": "重复"}, headers=heads["viewer"]).status_code == 403
    empty = client.post(f"{url}/propose", json={"reason": "  "}, headers=heads["operator"])
    assert (empty.status_code, empty.json()["error"]["message"]) == (422, "请填写退费原因")
    above = client.post(
        f"{url}/propose", json={"reason": "重复", "amount_fen": 79501}, headers=heads["operator"]
    )
    assert (above.status_code, above.json()["error"]["message"]) == (
        422,
        "退费金额应大于0且不超过原缴款金额 ¥795.00",
    )
    assert client.post(f"{url}/approve", headers=heads["approver"]).status_code == 409  # not proposed yet
    assert refund_of(runtime, late["id"]).status == "pending"

    proposed = client.post(
        f"{url}/propose", json={"reason": "重复缴费，原路退回"}, headers=heads["approver2"]
    )
    assert (proposed.status_code, proposed.json()["status"], proposed.json()["proposed_by"]) == (
        200,
        "proposed",
        "approver2",
    )
    again = client.post(f"{url}/propose", json={"reason": "再提"}, headers=heads["operator"])
    assert again.status_code == 409
    assert client.post(f"{url}/approve", headers=heads["operator"]).status_code == 403  # a lower role
    own = client.post(f"{url}/approve", headers=heads["approver2"])  # the proposer
    assert (own.status_code, own.json()["error"]["code"]) == (409, "refund_proposer_cannot_approve")
    assert refund_of(runtime, late["id"]).status == "proposed"

    approved = client.post(f"{url}/approve", headers=heads["approver"])
    assert approved.status_code == 200, approved.text
    assert (approved.json()["status"], approved.json()["approved_by"]) == ("succeeded", "approver1")
    twice = client.post(f"{url}/approve", headers=heads["admin"])
    assert (twice.status_code, twice.json()["error"]["message"]) == (
        409,
        "该退费已审核（当前为「已退款」），不能重复审核",
    )
    ledger = client.get(f"/sandbox/alipay/trades/{late['out_trade_no']}/refunds").json()
    assert (ledger["refunded_fen"], len(ledger["items"])) == (79500, 1)
    with runtime.db.session() as s:
        audited = s.execute(
            select(AuditEntry.action, AuditEntry.actor_type, AuditEntry.actor_id, AuditEntry.channel)
            .where(AuditEntry.object_type == "refund", AuditEntry.object_id == str(refund.id))
            .order_by(AuditEntry.occurred_at, AuditEntry.id)
        ).all()
    assert [tuple(row) for row in audited] == [
        ("refund.opened", "provider", None, None),
        ("refund.proposed", "operator", "approver2", "console"),
        ("refund.sending", "operator", "approver1", "console"),
        ("refund.succeeded", "provider", None, None),
    ]


def test_the_refund_pages(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    late, refund, heads = _setup(client, runtime, world)
    listed = client.get("/console/refunds", params={"status": "pending"}, headers=heads["operator"])
    assert (
        listed.status_code == 200
        and f'href="/console/refunds/{refund.id}"' in listed.text
        and "¥795.00" in listed.text
    )
    page = client.get(f"/console/refunds/{refund.id}", headers=heads["operator"])
    assert page.status_code == 200 and "提出退费" in page.text and late["out_trade_no"] in page.text
    assert client.get(f"/console/refunds/{refund.id}", headers=heads["stranger"]).status_code == 404
    assert (
        client.get("/console/refunds", follow_redirects=False)
        .headers["location"]
        .startswith("/console/login")
    )
