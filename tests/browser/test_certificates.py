from __future__ import annotations

from tests.support.browser import declare_medical, log_in, pay_in_browser


def test_apply_from_a_record_then_view_and_retry(page, shot, runtime, world, live_server) -> None:  # type: ignore[no-untyped-def]
    log_in(page, runtime, world.zhang, live_server)
    declare_medical(page)
    pay_in_browser(page)

    page.goto("/records/medical")
    page.get_by_text("更多相关操作").first.click()
    page.get_by_role("link", name="证明申请").first.click()
    assert page.locator("h1").inner_text() == "社保缴费证明打印"
    assert page.get_by_label("费款所属期起").input_value() == "2026-01"
    assert page.get_by_text("城乡居民基本医疗保险费").is_visible()
    shot("certificate-print")
    page.get_by_role("button", name="证明申请").click()
    assert page.locator("h1").inner_text() == "社保缴费证明下载"
    assert page.get_by_text("已完成").is_visible()
    shot("certificate-download")
    page.get_by_role("link", name="查看").click()
    assert page.locator("h1").inner_text() == "社会保险费缴费证明"
    image = page.get_by_role("img", name="社会保险费缴费证明", exact=False)
    image.wait_for()
    # The PNG is rendered from the PDF on request: wait until the browser has it, then measure it.
    page.wait_for_function("() => document.querySelector('.certificate-image img').complete")
    assert page.evaluate("() => document.querySelector('.certificate-image img').naturalWidth") == 893
    shot("certificate-view")

    page.request.post("/sandbox/certificates/fail-next", data={"count": 1})
    page.goto("/certificates/print?scheme=resident_medical&period_from=2026-06&period_to=2026-12")
    page.get_by_role("button", name="证明申请").click()
    assert page.get_by_text("制作失败，系统繁忙，请稍后重新制作").is_visible()
    shot("certificate-failed")
    page.get_by_role("button", name="重新制作").click()
    assert page.get_by_text("已完成").count() == 2 and page.get_by_text("制作失败").count() == 0


def test_verify_logged_out_from_the_home_page(page, shot, client, runtime, world, live_server) -> None:  # type: ignore[no-untyped-def]
    from tests.support.certificates import certificate, request
    from tests.support.payments import paid_by_alipay

    paid_by_alipay(client, world.zhang_headers)
    found = certificate(client, world.zhang_headers, request(client, world.zhang_headers).json()["id"])
    code = found["verification_code"]

    page.goto("/")
    assert page.get_by_role("link", name="请登录").is_visible()
    page.get_by_role("link", name="社保缴费证明").click()
    page.get_by_role("link", name="缴费证明查验").click()
    assert page.locator("h1").inner_text() == "缴费证明查验"
    assert page.get_by_label("证明校验码").get_attribute("inputmode") == "numeric"
    page.get_by_label("纳税人识别号").fill("110101199003071823")
    # A mistyped check digit is caught on the page, before any lookup.
    page.get_by_label("证明校验码").fill(code[:15] + str((int(code[15]) + 1) % 10))
    page.get_by_role("button", name="开始校验").click()
    assert page.get_by_text("证明校验码有误，请核对缴费证明上的16位证明校验码").is_visible()
    assert page.url.endswith("/verify")
    # Tapping the captcha gives a new one, what was typed kept.
    first = page.locator("input[name=captcha_id]").input_value()
    page.get_by_label("证明校验码").fill(code)
    shot("certificate-verify")
    page.get_by_role("link", name="图片验证码，点击更换").click()
    page.wait_for_function(f"() => document.querySelector('input[name=captcha_id]').value !== '{first}'")
    assert page.get_by_label("证明校验码").input_value() == code
    captcha_id = page.locator("input[name=captcha_id]").input_value()
    answer = page.request.get(f"/sandbox/captcha/{captcha_id}").json()["answer"]
    page.get_by_label("验证码").fill(answer)
    page.get_by_role("button", name="开始校验").click()
    assert page.get_by_text("校验通过，该缴费证明真实有效").is_visible()
    assert page.get_by_text("*三").is_visible() and page.get_by_text(found["certificate_no"]).is_visible()
    shot("certificate-verified")
