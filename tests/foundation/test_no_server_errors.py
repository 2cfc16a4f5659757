"""Every operation of the OpenAPI document, fed nonsense, answers 4xx (or 2xx) — never a 5xx."""

from __future__ import annotations

import re

import pytest

from tests.support.people import ZHANG_SAN, bearer_for, make_person, transaction

BODIES = [None, b"not json", b"{}", b'{"x": [1, {"y": null}]}', b"[]", b'{"rows": "x", "payable_ids": 7}']


@pytest.mark.parametrize("with_login", [False, True])
def test_nonsense_never_gives_a_server_error(client, runtime, with_login: bool) -> None:  # type: ignore[no-untyped-def]
    headers = {"content-type": "application/json"}
    if with_login:
        headers |= bearer_for(runtime, make_person(runtime, *ZHANG_SAN))
    paths = client.get("/openapi.json").json()["paths"]
    failures = []
    for path, operations in paths.items():
        url = re.sub(r"\{[^}]+\}", "nonsense", path) + "?period_from=x&declared_from=y&scheme=z&payer_id=w"
        for method in operations:
            for body in BODIES:
                answer = client.request(method.upper(), url, content=body, headers=headers)
                if answer.status_code >= 500:
                    failures.append((method, path, body, answer.status_code))
    assert failures == []


def _routes(routes):  # type: ignore[no-untyped-def]
    """Every route with methods, through included routers (FastAPI keeps them nested)."""
    for route in routes:
        nested = getattr(route, "original_router", None)
        if nested is not None:  # (a nested router's own prefix is not applied: those paths just 404)
            yield from _routes(nested.routes)
        elif hasattr(route, "methods") and hasattr(route, "path"):
            yield route


def test_every_page_with_nonsense_answers_without_a_server_error(client, app, runtime) -> None:  # type: ignore[no-untyped-def]
    from shebao.identity.deps import SESSION_COOKIE
    from shebao.identity.sessions import open_session

    person = make_person(runtime, *ZHANG_SAN)
    from datetime import timedelta

    with transaction(runtime) as s:
        _, token = open_session(
            s, person.id, kind="cookie", channel="h5", now=runtime.clock.now(), idle=timedelta(minutes=30)
        )
    client.cookies.set(SESSION_COOKIE, token)
    client.get("/")
    csrf = client.cookies["shebao_csrf"]
    failures = []
    documented = set(client.get("/openapi.json").json()["paths"])
    pages = [r for r in _routes(app.routes) if r.path not in documented]
    assert len(pages) > 30
    for route in pages:
        url = (
            re.sub(r"\{[^}]+\}", "nonsense", route.path)
            + "?payer_id=w&period_from=x&declared_from=y&back=//x"
        )
        for method in route.methods - {"HEAD"}:
            data = {
                "csrf_token": csrf,
                "payable_ids": "x",
                "amount": "other",
                "other_amount": "abc",
                "method": "?",
            }
            answer = client.request(
                method, url, data=data if method == "POST" else None, follow_redirects=False
            )
            if answer.status_code >= 500:
                failures.append((method, route.path, answer.status_code))
    assert failures == []


@pytest.mark.parametrize(
    "content_type",
    ["multipart/form-data", "multipart/form-data; boundary=x", "application/x-www-form-urlencoded"],
)
def test_a_broken_form_body_is_said_in_chinese(client, content_type: str) -> None:  # type: ignore[no-untyped-def]
    """A form the server cannot read (a multipart without its boundary, a cut-off part) is a 4xx that a
    citizen can read, never the parser's English sentence ("Missing boundary in multipart.")."""
    for path in ["/login", "/login/sms", "/certificates/verify", "/agreements/new"]:
        answer = client.post(path, content=b"--x\r\nbroken", headers={"content-type": content_type})
        assert 400 <= answer.status_code < 500, (path, answer.status_code)
        assert not re.search(r"[A-Za-z]{4,} [a-z]{2,} [a-z]{3,}", answer.text.split("<body", 1)[-1]), path
        assert re.search(r"[\u4e00-\u9fff]", answer.text), path
