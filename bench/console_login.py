"""Console login: what a failed login costs, by kind, so the answer's time tells no username apart.

Through the app in-process on a fresh SQLite file, alternating the kinds so that the machine's load
falls on each alike, it times `POST /api/v1/console/login` for:

- a known username with a wrong password (argon2 verify, failure counted, audit row),
- a known username with the right password and a wrong TOTP code,
- an unknown username (one argon2 verify against a dummy hash, counted under the username),
- a successful login (the baseline: argon2 verify, TOTP, a session row, an audit row).

It prints the median and p90 of each, and each failure's median as a ratio to the unknown username's.
Failures are spread over operators (four each, under the lock's five) and the per-address limit is
lifted for the run (one client address makes every call).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient

from shebao.app import create_app
from shebao.audit.service import Actor
from shebao.config import Settings
from shebao.console import credentials, service
from shebao.console.operators import Operators
from shebao.identity.ratelimit import Limit
from shebao.migrate import upgrade
from shebao.runtime import Runtime

OFFICE = "11101010001"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=60, help="timed logins of each kind")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="shebao-bench-console-"))
    settings = Settings(env="test", database_url=f"sqlite:///{folder}/bench.db", data_dir=folder, clock=None)
    runtime = Runtime.build(settings)
    upgrade(runtime.db)
    runtime.start_clock()
    service.FAILURES_PER_ADDRESS = Limit("bench-console-fail-ip", 10**9, service.LOCK_FOR)

    operators = args.rounds // 2 + 1  # two failing kinds: four failures at most each, warm-up included
    enrolled = []
    with runtime.work().step() as step:
        team = Operators(step.session, now=step.now, actor=Actor.system())
        for n in range(operators + args.rounds):
            done = team.add(f"bench{n}", role="viewer", tax_office=OFFICE)
            enrolled.append((done.operator.username, done.one_time_password, done.operator.totp_secret))
    failing, succeeding = enrolled[:operators], enrolled[operators:]

    client = TestClient(create_app(runtime=runtime), raise_server_exceptions=True)
    timings: dict[str, list[float]] = {
        "wrong password": [],
        "wrong TOTP": [],
        "unknown username": [],
        "success": [],
    }

    def timed(kind: str, body: dict[str, str], status: int) -> None:
        start = time.perf_counter()
        answer = client.post("/api/v1/console/login", json=body)
        timings[kind].append(time.perf_counter() - start)
        if answer.status_code != status:
            raise SystemExit(f"{kind}: {answer.status_code} {answer.text}")

    def code(secret: str, wrong: bool = False) -> str:
        right = credentials.code_at(secret, credentials.real_step())
        return f"{(int(right) + 1) % 1_000_000:06d}" if wrong else right

    kinds: list[Callable[[int], None]] = [
        lambda i: timed(
            "wrong password",
            {
                "username": failing[(i + 1) % operators][0],
                "password": "nope nope nope",
                "totp": code(failing[(i + 1) % operators][2]),
            },
            401,
        ),
        lambda i: timed(
            "wrong TOTP",
            {
                "username": failing[(i + 1) % operators][0],
                "password": failing[(i + 1) % operators][1],
                "totp": code(failing[(i + 1) % operators][2], wrong=True),
            },
            401,
        ),
        lambda i: timed(
            "unknown username", {"username": f"ghost{i}", "password": "nope nope nope", "totp": "123456"}, 401
        ),
        lambda i: timed(
            "success",
            {"username": succeeding[i][0], "password": succeeding[i][1], "totp": code(succeeding[i][2])},
            200,
        ),
    ]
    for kind in kinds[:3]:  # warm-up: imports, first queries, the argon2 library
        kind(-1)
    for i in range(args.rounds):
        for kind in kinds:
            kind(i)
    client.close()
    runtime.db.dispose()

    base = statistics.median(timings["unknown username"])
    print(f"console login, {args.rounds} of each kind, SQLite, in-process")
    for kind in timings:  # the warm-up is not counted
        timings[kind] = timings[kind][-args.rounds :]
    for kind, values in timings.items():
        values.sort()
        p90 = values[int(len(values) * 0.9) - 1]
        print(
            f"  {kind:17s} median {statistics.median(values) * 1000:6.1f} ms  p90 {p90 * 1000:6.1f} ms  "
            f"× unknown username {statistics.median(values) / base:4.2f}"
        )


if __name__ == "__main__":
    main()
