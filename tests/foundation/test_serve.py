"""`shebao serve` as deployed: several processes, each warming its app before it serves."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

SHEBAO = str(Path(sys.executable).with_name("shebao"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_serve_with_two_worker_processes_answers(tmp_path: Path) -> None:
    # uvicorn's worker processes load the app inside their running event loop; a warm-up that
    # started a loop of its own there killed both workers, and nothing answered.
    env = {
        **os.environ,
        "SHEBAO_DATA_DIR": str(tmp_path),
        "SHEBAO_DATABASE_URL": f"sqlite:///{tmp_path}/serve.db",
    }
    subprocess.run([SHEBAO, "db", "upgrade"], env=env, check=True, capture_output=True)
    port = free_port()
    with (tmp_path / "serve.log").open("wb") as log:
        server = subprocess.Popen(
            [SHEBAO, "serve", "--port", str(port), "--workers", "2"], env=env, stdout=log, stderr=log
        )
    try:
        answer = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and server.poll() is None:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        text = (tmp_path / "serve.log").read_text(errors="replace")
        assert answer is not None and answer.status_code == 200, text
        assert "RuntimeError" not in text
    finally:
        server.terminate()
        server.wait(timeout=30)
