"""The certificate pages without a browser: forms post, the server renders, errors stay on the form."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from shebao.certificates.models import Certificate
from tests.support.certificates import certificate, request
from tests.support.login import cookie_login
from tests.support.payments import paid_by_alipay
from tests.support.people import transaction

SAME = "校验未通过：纳税人识别号、证明校验码或验证码有误，请核对后重新输入"


def _certificates(runtime) -> int:  # type: ignore[no-untyped-def]
    with runtime.db.session() as s:
        return s.scalar(select(func.count()).select_from(Certificate)) or 0


def test_a_records_pages_request_opens_the_print_page_prefilled(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    paid_by_alipay(client, world.zhang_headers)
    cookie_login(client, runtime, world.zhang)
    records = client.get("/records/medical").text
    [link] = re.findall(r'href="(/certificates/print\?[^"]+)"', records)
    link = link.replace("&amp;", "&")
    assert (
        link == "/certificates/print?scheme=resident_medical&period_from=2026-01&period_to=2026-12&payer_id="
    )
    page = client.get(link)
    assert page.status_code == 200
    for text in [
        'value="2026-01"',
        'value="2026-12"',
        "城乡居民基本医疗保险费",
        "¥795.00",
        "证明申请",
        "*三",
    ]:
        assert text in page.text, text


def test_apply_then_download_then_view(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    paid_by_alipay(client, world.zhang_headers)
    csrf = cookie_login(client, runtime, world.zhang)
    form = {
        "csrf_token": csrf,
        "scheme": "resident_medical",
        "period_from": "2026-01",
        "period_to": "2026-12",
        "payer_id": "",
    }
    applied = client.post("/certificates/print", data=form, follow_redirects=False)
    assert (applied.status_code, applied.headers["location"]) == (303, "/certificates?applied=1")
    listed = client.get("/certificates?applied=1").text
    for text in [
        "已提交证明申请",
        "城乡居民基本医疗保险",
        "2026-01 至 2026-12",
        "申请日期",
        "2025-11-20",
        "已完成",
        "查看",
    ]:
        assert text in listed, text
    assert 'http-equiv="refresh"' not in listed  # nothing generating any more
    [certificate_id] = re.findall(r'href="/certificates/([0-9a-f-]{36})"', listed)
    view = client.get(f"/certificates/{certificate_id}").text
    assert f'src="/certificates/{certificate_id}/image.png"' in view and "下载PDF" in view
    assert client.get(f"/certificates/{certificate_id}/image.png").headers["content-type"] == "image/png"


def test_bad_input_stays_on_the_form_in_chinese(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    paid_by_alipay(client, world.zhang_headers)
    csrf = cookie_login(client, runtime, world.zhang)
    form = {
        "csrf_token": csrf,
        "scheme": "resident_medical",
        "period_from": "2026-12",
        "period_to": "2026-01",
    }
    refused = client.post("/certificates/print", data=form)
    assert refused.status_code == 422 and "费款所属期止不能早于费款所属期起" in refused.text
    nothing = client.post(
        "/certificates/print", data={**form, "period_from": "2025-01", "period_to": "2025-06"}
    )
    assert nothing.status_code == 422 and "所选费款所属期内没有已缴费记录" in nothing.text
    assert client.get("/certificates/print?period_from=2026-13").status_code == 422
    assert client.get("/certificates?applied_from=yesterday").status_code == 422
    assert _certificates(runtime) == 0


def test_failed_shows_the_reason_and_retry(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    paid_by_alipay(client, world.zhang_headers)
    csrf = cookie_login(client, runtime, world.zhang)
    client.post("/sandbox/certificates/fail-next", json={"count": 1})
    made = request(client, world.zhang_headers).json()
    listed = client.get("/certificates").text
    assert "制作失败" in listed and "制作失败，系统繁忙，请稍后重新制作" in listed and "重新制作" in listed
    assert client.get(f"/certificates/{made['id']}").status_code == 409
    retried = client.post(
        f"/certificates/{made['id']}/retry", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert retried.status_code == 303
    assert certificate(client, world.zhang_headers, made["id"])["status"] == "ready"


def test_generating_refreshes_itself(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    cookie_login(client, runtime, world.zhang)
    with transaction(runtime) as s:
        s.add(
            Certificate(
                certificate_no="SBZM202511200000000009",
                requested_by_id=world.zhang.id,
                person_id=world.zhang.id,
                scheme="resident_medical",
                period_from="2026-01",
                period_to="2026-12",
                status="generating",
                channel="h5",
                applied_at=runtime.clock.now() - timedelta(seconds=5),
                attempts=0,
            )
        )
    listed = client.get("/certificates").text
    assert "制作中" in listed and 'http-equiv="refresh"' in listed and "正在制作" in listed


def test_verification_page_is_public_with_a_numeric_keypad(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    found = certificate(
        client,
        world.zhang_headers,
        (paid_by_alipay(client, world.zhang_headers), request(client, world.zhang_headers).json())[1]["id"],
    )
    home = client.get("/certificates-menu").text
    assert 'href="/verify"' in home
    page = client.get(f"/verify?taxpayer_id=110101199003071823&code={found['verification_code']}")
    assert page.status_code == 200
    assert 'inputmode="numeric"' in page.text and 'value="110101199003071823"' in page.text
    assert f'value="{found["verification_code"]}"' in page.text and "data:image/png;base64," in page.text
    csrf = client.cookies["shebao_csrf"]
    [captcha_id] = re.findall(r'name="captcha_id" value="([0-9a-f-]{36})"', page.text)
    answer = client.get(f"/sandbox/captcha/{captcha_id}").json()["answer"]
    form = {
        "csrf_token": csrf,
        "taxpayer_id": "110101199003071823",
        "code": found["verification_code"],
        "captcha_id": captcha_id,
    }
    wrong = client.post("/verify", data={**form, "captcha_answer": "ZZZZ"})
    assert wrong.status_code == 422 and SAME in wrong.text and found["verification_code"] in wrong.text
    [fresh] = re.findall(r'name="captcha_id" value="([0-9a-f-]{36})"', wrong.text)
    assert fresh != captcha_id
    answer = client.get(f"/sandbox/captcha/{fresh}").json()["answer"]
    verified = client.post("/verify", data={**form, "captcha_id": fresh, "captcha_answer": answer.lower()})
    assert verified.status_code == 200
    for text in [
        "校验通过",
        "*三",
        found["certificate_no"],
        "¥795.00",
        "城乡居民基本医疗保险费",
        "查看缴费证明原件（PDF）",
    ]:
        assert text in verified.text, text
    assert "张三" not in verified.text
