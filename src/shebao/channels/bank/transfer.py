"""Handing batch files to the bank front end and fetching its result files (批量扣税).

The sandbox bank takes them over HTTP beside its message gateway (`…/batches`); a deployment whose
bank exchanges files another way (SFTP drop boxes) replaces this transport. Bodies stream both ways.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx

from shebao.channels.bank import keys
from shebao.channels.base import ChannelError, ChannelTimeout
from shebao.config import Settings
from shebao.kit import http

FILE_TIMEOUT = httpx.Timeout(900.0, connect=10.0)  # a million items take a while at the bank


@dataclass(frozen=True)
class Received:
    batch_no: str
    item_count: int
    total_fen: int
    duplicate: bool


@dataclass(frozen=True)
class Results:
    parts: list[int]
    outstanding: int


class BankRefused(ChannelError):
    """The bank would not take the file now (closed for the night) or refused it as malformed."""


class BatchTransport:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")

    def send(self, batch_no: str, lines: Iterable[str]) -> Received:
        body = blocks(lines)
        try:
            with _client() as client:
                answer = client.post(
                    f"{self.base_url}/batches",
                    content=body,
                    headers={"Content-Type": "text/plain; charset=utf-8"},
                )
        except httpx.HTTPError as exc:
            raise ChannelTimeout(f"银行未应答批量扣款文件：{type(exc).__name__}") from exc
        if answer.status_code >= 500:
            raise ChannelTimeout(f"银行前置错误：HTTP {answer.status_code}")
        if not answer.is_success:
            raise BankRefused(_message(answer))
        found = answer.json()
        if found.get("batch_no") != batch_no:
            raise ChannelTimeout("银行回执的批次号与文件不符")
        return Received(batch_no, int(found["item_count"]), int(found["total_fen"]), bool(found["duplicate"]))

    def results(self, batch_no: str) -> Results:
        try:
            with _client() as client:
                answer = client.get(f"{self.base_url}/batches/{batch_no}/results")
        except httpx.HTTPError as exc:
            raise ChannelTimeout(f"银行未应答结果查询：{type(exc).__name__}") from exc
        if not answer.is_success:
            raise ChannelTimeout(f"银行结果查询失败：HTTP {answer.status_code}")
        found = answer.json()
        return Results([int(p) for p in found["parts"]], int(found["outstanding"]))

    def fetch(self, batch_no: str, part: int, sink: Callable[[bytes], object]) -> None:
        """Stream one result file into `sink`, chunk by chunk."""
        try:
            with (
                _client() as client,
                client.stream("GET", f"{self.base_url}/batches/{batch_no}/results/{part}") as answer,
            ):
                if not answer.is_success:
                    raise ChannelTimeout(f"银行结果文件下载失败：HTTP {answer.status_code}")
                for chunk in answer.iter_bytes():
                    sink(chunk)
        except httpx.HTTPError as exc:
            raise ChannelTimeout(f"银行结果文件下载中断：{type(exc).__name__}") from exc


@contextmanager
def _client() -> Iterator[httpx.Client]:
    """The process's client for batch files, with a timeout long enough for a million items."""
    with http.client("bank-batch") as client:
        client.timeout = FILE_TIMEOUT
        yield client


def _message(answer: httpx.Response) -> str:
    try:
        return str(answer.json()["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return f"HTTP {answer.status_code}"


def blocks(lines: Iterable[str], size: int = 1 << 16) -> Iterator[bytes]:
    """Lines as bytes, about `size` at a time (one chunk per line would cost a write each)."""
    buffer: list[bytes] = []
    held = 0
    for line in lines:
        data = line.encode("utf-8") + b"\n"
        buffer.append(data)
        held += len(data)
        if held >= size:
            yield b"".join(buffer)
            buffer, held = [], 0
    if buffer:
        yield b"".join(buffer)


def lines_of(chunks: Iterable[bytes]) -> Iterator[str]:
    buffer = b""
    for chunk in chunks:
        buffer += chunk
        *lines, buffer = buffer.split(b"\n")
        for line in lines:
            yield line.decode("utf-8")
    if buffer:
        yield buffer.decode("utf-8")


def batch_transport(settings: Settings) -> BatchTransport:
    """Beside the front end's message gateway: `…/gateway` → `…/batches`."""
    return BatchTransport(keys.gateway(settings).rsplit("/", 1)[0])
