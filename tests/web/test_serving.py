"""What `shebao serve` hands uvicorn: an access log without query strings, proxies trusted only if listed."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from shebao.config import Settings
from shebao.logging import uvicorn_log_config
from shebao.web.clients import address_bucket, proxy_options, resolve

PHONE = "13812345678"
CARD = "6222021234567890123"


@contextmanager
def serving(app: FastAPI, settings: Settings) -> Iterator[str]:
    """The app under a real uvicorn, configured as `shebao serve` configures it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proxies = proxy_options(settings)
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="info",
        log_config=uvicorn_log_config(),
        proxy_headers=proxies.proxy_headers,
        forwarded_allow_ips=proxies.forwarded_allow_ips,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_the_access_log_holds_paths_without_query_strings_and_masked(app, runtime, capfd) -> None:  # type: ignore[no-untyped-def]
    with serving(app, runtime.settings) as url:
        httpx.get(f"{url}/sandbox/sms/outbox", params={"phone": PHONE})
        httpx.get(f"{url}/login/face/done", params={"verification_id": "v1", "result_token": "SECRET.TOKEN"})
        httpx.get(f"{url}/sandbox/bank/accounts/ICBC/{CARD}")
    out, err = capfd.readouterr()
    logged = out + err
    assert '"GET /sandbox/sms/outbox HTTP/1.1" 404' in logged
    assert '"GET /login/face/done HTTP/1.1"' in logged
    assert '"GET /sandbox/bank/accounts/ICBC/622202*********0123 HTTP/1.1"' in logged
    for secret in (PHONE, "SECRET.TOKEN", CARD, "result_token", "phone="):
        assert secret not in logged


def test_forwarded_headers_are_ignored_unless_the_proxy_is_trusted(app, runtime, capfd) -> None:  # type: ignore[no-untyped-def]
    forged = {"X-Forwarded-For": "203.0.113.7"}
    with serving(app, runtime.settings) as url:
        httpx.get(f"{url}/health", headers=forged)
    assert "203.0.113.7" not in capfd.readouterr().out
    trusting = runtime.settings.model_copy(update={"trusted_proxies": "127.0.0.1"})
    with serving(app, trusting) as url:
        httpx.get(f"{url}/health", headers=forged)
    assert '203.0.113.7:0 - "GET /health HTTP/1.1" 200' in capfd.readouterr().out


NETS = Settings(trusted_proxies="10.0.0.0/8, 192.0.2.1").trusted_proxy_networks


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        ("198.51.100.9", "203.0.113.7", "198.51.100.9"),  # not a proxy: its own address, whatever it says
        ("10.1.2.3", "203.0.113.7", "203.0.113.7"),
        ("10.1.2.3", "1.1.1.1, 203.0.113.7, 10.9.9.9", "203.0.113.7"),  # the left end is the client's word
        ("192.0.2.1", "", "192.0.2.1"),
        ("10.1.2.3", "not-an-address", "unknown"),
        (None, "203.0.113.7", "unknown"),
    ],
)
def test_the_client_address(peer: str | None, forwarded: str, expected: str) -> None:
    assert resolve(peer, forwarded, NETS) == expected
    assert resolve("10.1.2.3", "203.0.113.7", ()) == "10.1.2.3"  # no proxies configured: none trusted


def test_rate_limits_count_an_ipv6_subscriber_as_one() -> None:
    assert (
        address_bucket("2001:db8:1:2:aaaa::1")
        == address_bucket("2001:db8:1:2:bbbb::9")
        == "2001:db8:1:2::/64"
    )
    assert address_bucket("::ffff:198.51.100.9") == "198.51.100.9"
    assert address_bucket("198.51.100.9") == "198.51.100.9"


def test_a_wrong_proxy_list_refuses_to_start() -> None:
    with pytest.raises(ValueError, match="not an address or network: proxy.example"):
        Settings(trusted_proxies="10.0.0.0/8,proxy.example")
