"""证明申请 and generation through the API: whose payments, totals, failure and 重新制作, bad input."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from sqlalchemy import func, select

from shebao.audit.models import AuditEntry
from shebao.certificates.codes import is_well_formed
from shebao.certificates.content import Content
from shebao.certificates.models import Captcha, Certificate, CertificateFile
from shebao.identity.models import RateCounter
from shebao.kit.money import amount_in_words
from tests.support.certificates import certificate, pdf_text, request
from tests.support.elsewhere import feed, feed_row
from tests.support.payments import declare, open_payment, paid_by_alipay
from tests.support.people import transaction


def _content(runtime, certificate_id: str) -> Content:  # type: ignore[no-untyped-def]
    with runtime.db.session() as s:
        found = s.get(Certificate, uuid.UUID(certificate_id))
        assert found is not None and found.content is not None
        return Content.from_json(found.content)


def _counts(runtime) -> dict[str, int]:  # type: ignore[no-untyped-def]
    with runtime.db.session() as s:
        return {
            model.__tablename__: s.scalar(select(func.count()).select_from(model)) or 0
            for model in (Certificate, CertificateFile, Captcha, AuditEntry, RateCounter)
        }


def test_a_request_is_generated_with_everything_the_api_promises(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    paid = paid_by_alipay(client, world.zhang_headers)
    made = request(client, world.zhang_headers)
    assert made.status_code == 201, made.text
    body = made.json()
    assert (body["status"], body["status_label"], body["scheme"], body["period_from"], body["period_to"]) == (
        "generating",
        "制作中",
        "resident_medical",
        "2026-01",
        "2026-12",
    )
    assert re.fullmatch(r"SBZM20251120\d{10}", body["certificate_no"])
    assert body["verification_code"] is None and body["total_fen"] is None
    # The worker (inline in tests) made it once the request committed.
    found = certificate(client, world.zhang_headers, body["id"])
    assert (found["status"], found["status_label"], found["total_fen"], found["item_count"]) == (
        "ready",
        "已完成",
        79500,
        1,
    )
    assert is_well_formed(found["verification_code"])
    assert found["verification_code"] not in found["certificate_no"]
    content = _content(runtime, body["id"])
    [item] = content.items
    assert (
        item.levy_item,
        item.period_start,
        item.period_end,
        item.amount_fen,
        item.paid_on,
        item.channel,
    ) == (
        "城乡居民基本医疗保险费",
        "2026-01",
        "2026-12",
        79500,
        "2025-11-20",
        "京通网页（支付宝）",
    )
    records = client.get("/api/v1/payment-records", headers=world.zhang_headers).json()["items"]
    assert [item.eticket_no] == [r["eticket_no"] for r in records if r["id"] == paid["id"]]
    actions = [e.action for e in _audit(runtime, body["id"])]
    assert actions == ["certificate.requested", "certificate.generated"]


def _audit(runtime, certificate_id: str) -> list[AuditEntry]:  # type: ignore[no-untyped-def]
    with runtime.db.session() as s:
        query = (
            select(AuditEntry).where(AuditEntry.object_id == certificate_id).order_by(AuditEntry.occurred_at)
        )
        return list(s.scalars(query))


def test_the_pdf_text_holds_every_field(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    paid_by_alipay(client, world.zhang_headers)
    made = request(client, world.zhang_headers).json()
    found = certificate(client, world.zhang_headers, made["id"])
    pdf = client.get(found["pdf_url"], headers=world.zhang_headers)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = pdf_text(pdf.content)
    content = _content(runtime, made["id"])
    [item] = content.items
    for field in [
        "社会保险费缴费证明",
        f"证明编号：{found['certificate_no']}",
        "张三",
        "110101199003071823",
        "居民身份证",
        "国家税务总局北京市西城区税务局",
        "城乡居民基本医疗保险费",
        "2026-01 至 2026-12",
        "城乡居民基本医疗保险费如下",
        "795.00",
        "2025-11-20",
        item.eticket_no,
        "京通网页（支付宝）",
        "人民币（大写）：柒佰玖拾伍元整",
        "¥795.00",
        f"证明校验码：{found['verification_code']}",
        "开具日期：2025年11月20日",
    ]:
        assert field in text, field


def test_totals_and_words_are_exact_to_the_fen_with_late_fees(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    declared = declare(client, world.wang_headers, "flexible_employment")
    opened = open_payment(client, world.wang_headers, declared["id"]).json()
    assert client.post(f"/sandbox/alipay/trades/{opened['out_trade_no']}/pay").status_code == 200
    made = request(client, world.wang_headers, "flexible_employment", "2025-01", "2025-12").json()
    found = certificate(client, world.wang_headers, made["id"])
    content = _content(runtime, made["id"])
    expected = [(i["levy_item"], i["period_start"], i["amount_fen"]) for i in declared["items"]]
    assert [(i.levy_item, i.period_start, i.amount_fen) for i in content.items] == expected
    assert len(expected) == 6 and any(i["late_fee_fen"] > 0 for i in declared["items"])
    total = sum(i["amount_fen"] for i in declared["items"])
    assert found["total_fen"] == content.total_fen == total == declared["total_fen"]
    assert content.total_in_words == amount_in_words(total)
    text = pdf_text(client.get(found["pdf_url"], headers=world.wang_headers).content)
    yuan, fen = divmod(total, 100)
    assert f"¥{yuan}.{fen:02d}" in text and amount_in_words(total) in text


def test_only_the_insured_persons_succeeded_payments_of_the_scheme_and_range(
    client, world, runtime, routed
) -> None:  # type: ignore[no-untyped-def]
    # Zhang's own medical fee paid here, then again at a counter: the second is a duplicate to refund.
    mine = paid_by_alipay(client, world.zhang_headers)
    fed = feed(client, runtime, [feed_row(declaration_id=mine["declaration_id"], source_id="TC9")])
    assert fed.json()["items"][0]["status"] == "duplicate", fed.text
    # Li's pension: declared, never paid.
    declare(client, world.li_headers, "resident_pension")
    made = request(client, world.zhang_headers).json()
    content = _content(runtime, made["id"])
    records = client.get("/api/v1/payment-records", headers=world.zhang_headers).json()["items"]
    assert sorted((r["id"] == mine["id"], r["duplicate"]) for r in records) == [(False, True), (True, False)]
    assert [i.eticket_no for i in content.items] == [
        r["eticket_no"] for r in records if r["id"] == mine["id"]
    ]
    assert content.total_fen == 79500 and content.name == "张三"
    assert request(client, world.li_headers, "resident_pension", "2025-01", "2026-12").status_code == 422
    # A range that does not overlap the fee period holds nothing: 422, nothing written.
    outside = request(client, world.zhang_headers, period_from="2025-01", period_to="2025-12")
    assert outside.status_code == 422
    assert outside.json()["error"]["message"] == "所选费款所属期内没有已缴费记录，无法开具缴费证明"


def test_a_payment_made_elsewhere_is_on_the_certificate(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    assert feed(client, runtime, [feed_row()]).json()["items"][0]["status"] == "applied"
    made = request(client, world.zhang_headers).json()
    [item] = _content(runtime, made["id"]).items
    assert (item.eticket_no, item.channel, item.amount_fen, item.paid_on) == (
        "320251120000000001",
        "办税服务厅",
        79500,
        "2025-11-20",
    )


def test_a_family_member_without_consent_gets_only_what_the_payer_paid(
    client, world, runtime, routed
) -> None:  # type: ignore[no-untyped-def]
    paid_by_alipay(client, world.li_headers, "resident_pension")  # Li's own
    for_her = paid_by_alipay(
        client, world.zhang_headers, payer_id=world.li_family_id
    )  # Zhang pays Li's medical
    medical = request(client, world.zhang_headers, payer_id=world.li_family_id)
    assert medical.status_code == 201, medical.text
    content = _content(runtime, medical.json()["id"])
    assert (content.name, content.total_fen, len(content.items)) == ("李四", for_her["amount_fen"], 1)
    pension = request(
        client, world.zhang_headers, "resident_pension", "2025-01", "2026-12", payer_id=world.li_family_id
    )
    assert pension.status_code == 422  # Zhang paid none of Li's pension and has no consent
    assert client.post(f"/api/v1/consents/{world.li_family_id}", headers=world.li_headers).status_code == 200
    again = request(
        client, world.zhang_headers, "resident_pension", "2025-01", "2026-12", payer_id=world.li_family_id
    )
    assert again.status_code == 201, again.text
    assert _content(runtime, again.json()["id"]).name == "李四"
    # Wang is no family of Li: 404, and Wang cannot read Zhang's certificate either.
    assert request(client, world.wang_headers, payer_id=world.li_family_id).status_code == 404
    mine = medical.json()["id"]
    for path in [
        f"/api/v1/certificates/{mine}",
        f"/api/v1/certificates/{mine}/pdf",
        f"/certificates/{mine}/image.png",
    ]:
        assert client.get(path, headers=world.wang_headers).status_code == 404, path
    assert client.post(f"/api/v1/certificates/{mine}/retry", headers=world.wang_headers).status_code == 404


def test_failure_then_retry(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    paid_by_alipay(client, world.zhang_headers)
    assert client.post("/sandbox/certificates/fail-next", json={"count": 1}).json() == {"count": 1}
    made = request(client, world.zhang_headers).json()
    failed = certificate(client, world.zhang_headers, made["id"])
    assert (failed["status"], failed["status_label"], failed["failure_reason"]) == (
        "failed",
        "制作失败",
        "制作失败，系统繁忙，请稍后重新制作",
    )
    not_ready = client.get(f"/api/v1/certificates/{made['id']}/pdf", headers=world.zhang_headers)
    assert (
        not_ready.status_code == 409
        and not_ready.json()["error"]["message"] == "缴费证明尚未制作完成，请稍后查看"
    )
    retried = client.post(f"/api/v1/certificates/{made['id']}/retry", headers=world.zhang_headers)
    assert retried.status_code == 200 and retried.json()["status"] == "generating"
    found = certificate(client, world.zhang_headers, made["id"])
    assert (found["status"], found["failure_reason"], found["total_fen"]) == ("ready", None, 79500)
    again = client.post(f"/api/v1/certificates/{made['id']}/retry", headers=world.zhang_headers)
    assert (
        again.status_code == 409 and again.json()["error"]["message"] == "只有制作失败的缴费证明可以重新制作"
    )
    actions = [e.action for e in _audit(runtime, made["id"])]
    assert actions == [
        "certificate.requested",
        "certificate.failed",
        "certificate.retried",
        "certificate.generated",
    ]


def test_asking_again_while_generating_answers_that_one(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    paid_by_alipay(client, world.zhang_headers)
    with transaction(runtime) as s:
        live = Certificate(
            certificate_no="SBZM202511200000000001",
            requested_by_id=world.zhang.id,
            person_id=world.zhang.id,
            scheme="resident_medical",
            period_from="2026-01",
            period_to="2026-12",
            status="generating",
            channel="h5",
            applied_at=runtime.clock.now(),
            claimed_at=runtime.clock.now(),  # a live worker has it
            claim_token="live",
            attempts=1,
        )
        s.add(live)
    again = request(client, world.zhang_headers)
    assert again.status_code == 200 and again.json()["id"] == str(live.id)
    assert _counts(runtime)["certificates"] == 1
    # A different range is a different request.
    assert request(client, world.zhang_headers, period_from="2026-06").status_code == 201


def test_list_by_application_date(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    paid_by_alipay(client, world.zhang_headers)
    first = request(client, world.zhang_headers).json()
    second = request(client, world.zhang_headers, period_from="2026-03").json()
    listed = client.get(
        "/api/v1/certificates", params={"applied_from": "2025-11-20"}, headers=world.zhang_headers
    )
    assert [c["id"] for c in listed.json()["items"]] == [second["id"], first["id"]]
    assert client.get(
        "/api/v1/certificates", params={"applied_to": "2025-11-19"}, headers=world.zhang_headers
    ).json() == {"items": [], "next_cursor": None}
    assert client.get("/api/v1/certificates", headers=world.wang_headers).json() == {
        "items": [],
        "next_cursor": None,
    }
    reversed_ = client.get(
        "/api/v1/certificates",
        params={"applied_from": "2025-11-21", "applied_to": "2025-11-20"},
        headers=world.zhang_headers,
    )
    assert reversed_.status_code == 422


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"period_from": "2026-12", "period_to": "2026-01"}, "费款所属期止不能早于费款所属期起"),
        ({"period_from": "0001-01"}, "费款所属期起应在1990年至2026年之间"),
        ({"period_to": "9999-12"}, "费款所属期止应在1990年至2026年之间"),
        ({"period_from": "2026-13"}, "费款所属期起格式应为YYYY-MM，例如2025-01"),
        ({"period_to": "2026/12"}, "费款所属期止格式应为YYYY-MM，例如2025-01"),
        ({"scheme": "unknown"}, "请选择险种：城乡居民基本医疗保险、城乡居民养老保险、灵活就业人员"),
        ({"scheme": "resident_pension"}, "未查询到该险种的参保信息，无法开具缴费证明"),
        ({"payer_id": "not-a-uuid"}, "缴费对象（家庭成员编号）格式不正确"),
    ],
)
def test_bad_requests_are_4xx_in_chinese_and_write_nothing(
    client, world, runtime, routed, body, message
) -> None:  # type: ignore[no-untyped-def]
    paid_by_alipay(client, world.zhang_headers)
    before = _counts(runtime)
    values: dict[str, Any] = {
        "scheme": "resident_medical",
        "period_from": "2026-01",
        "period_to": "2026-12",
        **body,
    }
    answer = client.post("/api/v1/certificates", json=values, headers=world.zhang_headers)
    assert 400 <= answer.status_code < 500, answer.text
    error = answer.json()["error"]["message"]
    assert re.search(r"[\u4e00-\u9fff]", error)
    if message is not None:
        assert error == message
    assert _counts(runtime) == before
