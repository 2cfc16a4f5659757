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


def _serve_and_ask_health(tmp_path: Path, env: dict[str, str]) -> str:
    """Start `shebao serve --workers 2`, ask /health until it answers, stop it; answers the log."""
    subprocess.run([SHEBAO, "db", "upgrade"], env=env, check=True, capture_output=True)
    port = free_port()
    with (tmp_path / "serve.log").open("wb") as log:
        server = subprocess.Popen(
            [SHEBAO, "serve", "--port", str(port), "--workers", "2"], env=env, stdout=log, stderr=log
        )
    try:
        answer = None
        deadline = time.monotonic() + 150  # a busy shared machine: importing the app takes long
        while time.monotonic() < deadline and server.poll() is None:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        text = (tmp_path / "serve.log").read_text(errors="replace")
        assert answer is not None and answer.status_code == 200, text
        return text
    finally:
        server.terminate()
        server.wait(timeout=30)


def _env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "SHEBAO_DATA_DIR": str(tmp_path),
        "SHEBAO_DATABASE_URL": f"sqlite:///{tmp_path}/serve.db",
    }


def test_serve_with_two_worker_processes_answers(tmp_path: Path) -> None:
    # uvicorn's worker processes load the app inside their running event loop; a warm-up that
    # started a loop of its own there killed both workers, and nothing answered.
    text = _serve_and_ask_health(tmp_path, _env(tmp_path))
    assert "RuntimeError" not in text


SLOW_CLI = """
import sys, time
if "--multiprocessing-fork" in sys.argv:  # a worker process spawned by uvicorn
    class SlowCli:
        def find_spec(self, name, path=None, target=None):
            if name == "shebao.cli":
                time.sleep(20)  # importing every command, on a machine far busier than this one
            return None
    sys.meta_path.insert(0, SlowCli())
"""


def test_worker_processes_start_without_importing_the_commands(tmp_path: Path) -> None:
    # A spawned worker answers uvicorn's ping only after running the parent's main script, the `shebao`
    # console script importing every command; on a busy 2-core machine that took longer than uvicorn's
    # 5 s and the parent killed the workers ("Child process [...] died") and spawned others, as slow.
    hook = tmp_path / "slow"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(SLOW_CLI)
    env = _env(tmp_path)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(hook), env.get("PYTHONPATH")]))
    text = _serve_and_ask_health(tmp_path, env)
    assert "died" not in text, text
