from __future__ import annotations

from tests.support.people import LI_SI, ZHANG_SAN, make_person


def _outbox_code(page, phone: str) -> str:  # type: ignore[no-untyped-def]
    answer = page.request.get(f"/sandbox/sms/outbox?phone={phone}")
    code: str = answer.json()["code"]
    return code


def test_citizen_logs_in_adds_a_member_and_logs_out(page, shot, runtime) -> None:  # type: ignore[no-untyped-def]
    make_person(runtime, *ZHANG_SAN)
    make_person(runtime, *LI_SI, phone=None)
    page.goto("/fees")
    page.get_by_role("link", name="城乡居民基本医疗保险缴费办理").click()
    assert page.locator("h1").inner_text() == "登录"  # a function sends a logged-out user to log in
    page.get_by_label("手机号码").fill("13812345678")
    page.get_by_role("button", name="获取验证码").click()
    assert page.get_by_text("验证码已发送至 138****5678").is_visible()
    page.get_by_label("验证码").fill(_outbox_code(page, "13812345678"))
    page.get_by_label("姓名").fill(ZHANG_SAN[0])
    page.get_by_label("证件号码").fill(ZHANG_SAN[1])
    shot("login-form")
    page.get_by_role("button", name="登录", exact=True).click()
    assert page.locator("h1").inner_text() == "人脸认证"
    shot("login-face")
    page.get_by_role("link", name="开始人脸识别").click()
    shot("login-face-provider")
    page.get_by_role("button", name="识别通过").click()
    # Back where the user was going.
    assert page.locator("h1").inner_text() == "城乡居民基本医疗保险缴费办理"

    page.goto("/mine")
    assert page.get_by_text("110101********1823").is_visible()
    shot("mine-logged-in")
    page.get_by_role("link", name="家庭成员").click()
    page.get_by_label("姓名").fill(LI_SI[0])
    page.get_by_label("证件号码").fill(LI_SI[1])
    page.get_by_label("与本人关系").select_option("parent")
    page.get_by_role("button", name="添加").click()
    assert page.get_by_text("添加成功").is_visible()
    assert page.get_by_text("370101********9973").is_visible()
    shot("family")

    page.goto("/settings")
    page.get_by_role("button", name="退出登录").click()
    assert page.locator("h1").inner_text() == "北京通"
    assert page.get_by_role("link", name="请登录").is_visible()


def test_wrong_name_shows_the_message_in_the_form(page, runtime) -> None:  # type: ignore[no-untyped-def]
    make_person(runtime, *ZHANG_SAN)
    page.goto("/login")
    page.get_by_label("手机号码").fill("13812345678")
    page.get_by_role("button", name="获取验证码").click()
    page.get_by_label("验证码").fill(_outbox_code(page, "13812345678"))
    page.get_by_label("姓名").fill("张三丰")
    page.get_by_label("证件号码").fill(ZHANG_SAN[1])
    page.get_by_role("button", name="登录", exact=True).click()
    assert page.get_by_role("alert").inner_text() == "姓名与证件号码不一致"
    assert page.get_by_label("证件号码").input_value() == ZHANG_SAN[1]


def test_elder_mode_logs_in_one_card_a_screen(page, shot, runtime, live_server) -> None:  # type: ignore[no-untyped-def]
    """长辈模式: 手机号验证, then 实人认证, each on its own screen; the code says how long it lasts."""
    make_person(runtime, *ZHANG_SAN)
    page.context.add_cookies([{"name": "shebao_display", "value": "elder", "url": live_server}])
    page.goto("/login")
    assert page.locator(".stepper-count").inner_text() == "第1步，共2步"
    assert not page.get_by_label("姓名").is_visible()
    assert not page.get_by_role("button", name="登录", exact=True).is_visible()
    page.get_by_label("手机号码").fill("13812345678")
    page.get_by_role("button", name="获取验证码").click()
    assert page.get_by_text("验证码已发送至 138****5678，10分钟内有效").is_visible()
    assert page.locator(".stepper-count").inner_text() == "第1步，共2步"  # back on the code's screen
    page.get_by_label("验证码").fill(_outbox_code(page, "13812345678"))
    shot("elder-login-step1")
    page.get_by_role("button", name="下一步").click()
    assert page.locator(".stepper-count").inner_text() == "第2步，共2步"
    assert not page.get_by_label("手机号码").is_visible()
    page.get_by_label("姓名").fill(ZHANG_SAN[0])
    page.get_by_label("证件号码").fill(ZHANG_SAN[1])
    shot("elder-login-step2")
    page.get_by_role("button", name="登录", exact=True).click()
    assert page.locator("h1").inner_text() == "人脸认证"
