"""缴费证明查验 through the API: one message for every wrong input, captchas, throttling, audit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from shebao.audit.models import AuditEntry
from shebao.certificates.codes import check_digit
from shebao.certificates.models import Captcha, Certificate
from shebao.identity.models import RateCounter
from tests.support.certificates import captcha, certificate, request
from tests.support.payments import paid_by_alipay

SAME = "校验未通过：纳税人识别号、证明校验码或验证码有误，请核对后重新输入"
TAXPAYER = "110101199003071823"


def _ready(client, world) -> dict:  # type: ignore[no-untyped-def, type-arg]
    paid_by_alipay(client, world.zhang_headers)
    made = request(client, world.zhang_headers).json()
    return certificate(client, world.zhang_headers, made["id"])


def _verify(client, taxpayer_id: str, code: str, answer: str | None = None, captcha_id: str | None = None):  # type: ignore[no-untyped-def]
    if captcha_id is None:
        captcha_id, right = captcha(client)
        answer = right if answer is None else answer
    body = {
        "taxpayer_id": taxpayer_id,
        "verification_code": code,
        "captcha_id": captcha_id,
        "captcha_answer": answer or "",
    }
    return client.post("/api/v1/certificates/verify", json=body)


def _other_code(code: str) -> str:
    """A well-formed code (right check digit) that is not this certificate's."""
    body = f"{(int(code[:15]) + 1) % 10**15:015d}"
    return body + check_digit(body)


def _count(runtime, model, *where) -> int:  # type: ignore[no-untyped-def]
    with runtime.db.session() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where)) or 0


def test_a_certificate_verifies_with_its_content_masked_and_the_original_pdf(
    client, world, runtime, routed
) -> None:  # type: ignore[no-untyped-def]
    found = _ready(client, world)
    answer = _verify(client, TAXPAYER.lower(), found["verification_code"])  # a lower-case x is accepted too
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert {
        k: body[k]
        for k in ("certificate_no", "name", "scheme", "scheme_label", "period_from", "period_to", "total_fen")
    } == {
        "certificate_no": found["certificate_no"],
        "name": "*三",
        "scheme": "resident_medical",
        "scheme_label": "城乡居民基本医疗保险",
        "period_from": "2026-01",
        "period_to": "2026-12",
        "total_fen": 79500,
    }
    assert [(i["levy_item"], i["amount_fen"]) for i in body["items"]] == [("城乡居民基本医疗保险费", 79500)]
    assert TAXPAYER not in answer.text and "张三" not in answer.text
    original = client.get(found["pdf_url"], headers=world.zhang_headers).content
    public = client.get(body["pdf_url"])  # no login
    assert public.status_code == 200 and public.content == original
    assert _count(runtime, AuditEntry, AuditEntry.action == "certificate.verified") == 1


def test_the_pdf_link_expires_after_ten_minutes(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    found = _ready(client, world)
    link = _verify(client, TAXPAYER, found["verification_code"]).json()["pdf_url"]
    client.post("/sandbox/clock", json={"now": (runtime.clock.now() + timedelta(minutes=11)).isoformat()})
    expired = client.get(link)
    assert (
        expired.status_code == 404
        and expired.json()["error"]["message"] == "下载链接已失效，请重新查验后下载"
    )
    assert client.get(link[:-10] + "AAAAAAAAAA.pdf").status_code == 404


def test_wrong_taxpayer_code_or_captcha_give_one_and_the_same_answer(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    found = _ready(client, world)
    code = found["verification_code"]
    wrong_id = _verify(client, "110105194912310021", code)
    wrong_code = _verify(client, TAXPAYER, _other_code(code))
    wrong_captcha = _verify(client, TAXPAYER, code, answer="ZZZZ")
    wrong_digit = _verify(client, TAXPAYER, code[:15] + str((int(code[15]) + 1) % 10))
    answers = [wrong_id, wrong_code, wrong_captcha, wrong_digit]
    assert [a.status_code for a in answers] == [422] * 4
    assert [a.json() for a in answers] == [{"error": {"code": "verification_failed", "message": SAME}}] * 4
    # Every counted failure is audited (the check digit is public arithmetic: not counted, nothing written).
    assert _count(runtime, AuditEntry, AuditEntry.action == "certificate.verification_failed") == 3


def test_a_captcha_is_single_use_and_expires_in_five_minutes(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    found = _ready(client, world)
    captcha_id, answer = captcha(client)
    assert _verify(client, TAXPAYER, found["verification_code"], answer, captcha_id).status_code == 200
    before = (_count(runtime, AuditEntry), _count(runtime, RateCounter))
    reused = _verify(client, TAXPAYER, found["verification_code"], answer, captcha_id)
    assert (reused.status_code, reused.json()["error"]["message"]) == (422, SAME)
    late_id, late_answer = captcha(client)
    client.post(
        "/sandbox/clock", json={"now": (runtime.clock.now() + timedelta(minutes=5, seconds=1)).isoformat()}
    )
    late = _verify(client, TAXPAYER, found["verification_code"], late_answer, late_id)
    assert (late.status_code, late.json()["error"]["message"]) == (422, SAME)
    unknown = _verify(client, TAXPAYER, found["verification_code"], "ABCD", "not-a-captcha")
    assert (unknown.status_code, unknown.json()["error"]["message"]) == (422, SAME)
    # None of these wrote anything (the captcha endpoint counts its own use only).
    assert (_count(runtime, AuditEntry), _count(runtime, RateCounter)) == before
    assert _count(runtime, Captcha, Captcha.used_at.is_not(None)) == 1


def test_the_captcha_image_is_a_png_data_url(client) -> None:  # type: ignore[no-untyped-def]
    body = client.get("/api/v1/captcha").json()
    assert body["image"].startswith("data:image/png;base64,iVBORw0KGgo")
    assert len(client.get(f"/sandbox/captcha/{body['captcha_id']}").json()["answer"]) == 4


@pytest.mark.parametrize(
    ("taxpayer_id", "code", "field"),
    [
        (TAXPAYER, "123456789012345", "证明校验码应为16位数字"),
        (TAXPAYER, "12345678901234567", "证明校验码应为16位数字"),
        (TAXPAYER, "12345678901234a2", "证明校验码应为16位数字"),
        ("", "1234567890123452", "请输入缴费证明上的纳税人识别号（15至20位数字或字母）"),
    ],
)
def test_malformed_input_is_422_and_writes_nothing(client, world, runtime, taxpayer_id, code, field) -> None:  # type: ignore[no-untyped-def]
    captcha_id, answer = captcha(client)
    before = (
        _count(runtime, AuditEntry),
        _count(runtime, RateCounter),
        _count(runtime, Captcha, Captcha.used_at.is_not(None)),
    )
    refused = _verify(client, taxpayer_id, code, answer, captcha_id)
    assert refused.status_code == 422
    assert field in refused.json()["error"]["message"]
    after = (
        _count(runtime, AuditEntry),
        _count(runtime, RateCounter),
        _count(runtime, Captcha, Captcha.used_at.is_not(None)),
    )
    assert after == before


def test_brute_force_is_throttled_per_taxpayer_and_per_address(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    found = _ready(client, world)
    code = found["verification_code"]
    guesses = [_verify(client, TAXPAYER, _other_code(f"{n:015d}0")) for n in range(10)]
    assert [g.status_code for g in guesses] == [422] * 10
    # Ten failures for one taxpayer ID: that ID is throttled, even with the right code now.
    throttled = _verify(client, TAXPAYER, code)
    assert (
        throttled.status_code == 429
        and throttled.json()["error"]["message"] == "查验次数过多，请一小时后再试"
    )
    # Another taxpayer ID from the same address still answers, until the address has 20 failures.
    other = [_verify(client, "110105194912310021", _other_code(f"{n:015d}0")) for n in range(10)]
    assert [g.status_code for g in other] == [422] * 10
    assert _verify(client, "370101190102039973", _other_code("0" * 16)).status_code == 429
    assert _count(runtime, AuditEntry, AuditEntry.action == "certificate.verification_failed") == 20
    # An hour and more later the counts have gone.
    client.post(
        "/sandbox/clock", json={"now": (runtime.clock.now() + timedelta(hours=2, minutes=1)).isoformat()}
    )
    assert _verify(client, TAXPAYER, code).status_code == 200
    assert _count(runtime, Certificate) == 1
