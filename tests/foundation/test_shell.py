from __future__ import annotations

import re

import pytest

from shebao.web.menu import CERTIFICATE_FUNCTIONS, FEE_FUNCTIONS

GUIDE_FUNCTIONS = [
    "城乡居民基本医疗保险缴费办理",
    "已申报查询",
    "城乡居民医疗缴费记录查询",
    "城乡居民养老保险办理",
    "城乡居民养老保险申报记录查询",
    "城乡居民养老保险已缴费查询",
    "缴费金额设置",
    "缴费金额作废",
    "灵活就业人员应缴费信息查询",
    "灵活就业人员缴费记录查询",
    "缴费协议",
    "社保缴费证明打印",
    "社保缴费证明下载",
    "缴费证明查验",
]


def test_menus_list_every_function_of_the_guide_in_its_words(client) -> None:  # type: ignore[no-untyped-def]
    fees = client.get("/fees").text
    certificates = client.get("/certificates-menu").text
    for title in GUIDE_FUNCTIONS:
        assert title in fees + certificates
    assert [f.title for f in FEE_FUNCTIONS + CERTIFICATE_FUNCTIONS] == GUIDE_FUNCTIONS


@pytest.mark.parametrize("path", ["/fees", "/certificates-menu"])
def test_every_menu_entry_opens_without_error(client, path: str) -> None:  # type: ignore[no-untyped-def]
    links = re.findall(r'class="row link" href="([^"]+)"', client.get(path).text)
    assert len(links) in {len(FEE_FUNCTIONS), len(CERTIFICATE_FUNCTIONS)}
    for link in links:
        answer = client.get(link)
        assert answer.status_code == 200, link
        assert 'lang="zh-CN"' in answer.text


def test_home_has_the_two_tabs_and_social_security(client) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/").text
    assert "社会保障" in page and "社保费办理" in page and "社保缴费证明" in page
    assert ">北京通<" in page and ">我的<" in page


def test_unknown_page_is_a_styled_404_and_api_404_is_json(client) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/no-such-page")
    assert page.status_code == 404
    assert "页面不存在" in page.text and "返回首页" in page.text
    api = client.get("/api/v1/no-such-thing")
    assert api.status_code == 404
    assert api.json() == {"error": {"code": "not_found", "message": "页面不存在或已下线"}}


def test_security_headers_and_csrf_cookie(client) -> None:  # type: ignore[no-untyped-def]
    answer = client.get("/")
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["x-frame-options"] == "DENY"
    assert "default-src 'self'" in answer.headers["content-security-policy"]
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith("shebao_csrf=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_health_checks_the_database(client) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/health").json() == {"status": "ok"}


def test_openapi_is_served(client) -> None:  # type: ignore[no-untyped-def]
    paths = client.get("/openapi.json").json()["paths"]
    assert "/api/v1/reference/regions" in paths and "/health" in paths
    assert client.get("/docs").status_code == 200


def test_rehearsal_clock_shows_on_every_page(client, set_now) -> None:  # type: ignore[no-untyped-def]
    set_now("2025-11-20T09:00:00+08:00")
    for path in ["/", "/mine", "/fees", "/soon/medical"]:
        assert "演练环境 · 服务时钟 2025-11-20 09:0" in client.get(path).text


def test_the_elder_switch_is_on_every_page_and_remembered_in_a_cookie(client) -> None:  # type: ignore[no-untyped-def]
    for path in ["/", "/mine", "/settings", "/fees", "/login", "/missing"]:
        assert 'href="/display?mode=elder&amp;next=' in client.get(path).text, path
    assert '<html lang="zh-CN">' in client.get("/fees").text

    answer = client.get("/display?mode=elder&next=/fees", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/fees"
    assert answer.cookies["shebao_display"] == "elder"
    page = client.get("/fees").text
    assert '<html lang="zh-CN" class="elder">' in page
    assert 'href="/display?mode=standard&amp;next=/fees">标准模式</a>' in page

    answer = client.get("/display?mode=standard&next=//evil.example", follow_redirects=False)
    assert answer.headers["location"] == "/"
    assert "shebao_display" not in client.cookies
    assert '<html lang="zh-CN">' in client.get("/fees").text


def test_settings_offer_the_elder_mode_and_show_the_version(client) -> None:  # type: ignore[no-untyped-def]
    from shebao import __version__

    page = client.get("/settings").text
    assert f"自然人社保费系统 {__version__}" in page
    assert "开启长辈模式" in page
    client.cookies.set("shebao_display", "elder")
    assert "关闭长辈模式" in client.get("/settings").text
