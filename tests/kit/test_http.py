"""Outgoing HTTP clients live as long as the process (issue: a new client per call cost 19–68% of CPU)."""

from __future__ import annotations

import os

import httpx

from shebao.kit import http


def test_one_pooled_client_per_name_and_process() -> None:
    previous = http.use(None)
    try:
        with http.client("alipay") as first, http.client("alipay") as again, http.client("wechat") as other:
            assert first is again
            assert other is not first
        assert not first.is_closed  # borrowing leaves it open for the next call
        http.close()
        assert first.is_closed
        with http.client("alipay") as fresh:
            assert fresh is not first and not fresh.is_closed
    finally:
        http.close()
        http.use(previous)


def test_a_forked_child_makes_its_own_client() -> None:
    previous = http.use(None)
    try:
        with http.client() as parents:
            pass
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: must not reuse the parent's sockets
            with http.client() as childs:
                os.write(write, b"1" if childs is not parents else b"0")
            os._exit(0)
        os.waitpid(pid, 0)
        assert os.read(read, 1) == b"1"
        with http.client() as again:
            assert again is parents
    finally:
        http.close()
        http.use(previous)


def test_a_factory_makes_and_closes_a_client_per_exchange() -> None:
    made: list[httpx.Client] = []

    def factory() -> httpx.Client:
        made.append(httpx.Client(transport=httpx.MockTransport(lambda request: httpx.Response(204))))
        return made[-1]

    previous = http.use(factory)
    try:
        with http.client() as one:
            assert one.get("http://provider.test/").status_code == 204
        with http.client() as two:
            pass
        assert made == [one, two] and one.is_closed and two.is_closed
    finally:
        http.use(previous)
