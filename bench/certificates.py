"""Certificates: signed certificates per second, and verifications per second with p50/p99.

Each figure stands beside a baseline measured in the same run:

- generation: the same 12-item certificate rendered unsigned (`document.render_pdf`, the baseline),
  then rendered and signed (PAdES, pyHanko), then the whole of the worker's work (render, sign, PNG
  view from the PDF);
- verification: `POST /api/v1/certificates/verify` (captcha check, one keyed lookup, audit row, rate
  counters) beside the bare `GET /health`, both through the app in-process on a fresh SQLite file.
  The captcha is fetched before each timed call and not timed; the per-address captcha limit is
  lifted for the run (one client address makes every call).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient

from shebao.app import create_app
from shebao.certificates import verification
from shebao.certificates.codes import new_verification_code
from shebao.certificates.content import Content, Item
from shebao.certificates.document import render_pdf
from shebao.certificates.models import Certificate
from shebao.certificates.preview import render_png
from shebao.certificates.signing import material, sign
from shebao.config import Settings
from shebao.identity.documents import validate
from shebao.identity.ratelimit import Limit
from shebao.identity.repository import PersonRepository
from shebao.kit.money import amount_in_words
from shebao.migrate import upgrade
from shebao.runtime import Runtime

TAXPAYER = "110101199003071823"


def _content(code: str) -> Content:
    items = [
        Item(
            levy_item="基本养老保险基金收入" if month % 2 else "基本医疗保险基金收入",
            period_start=f"2025-{month:02d}",
            period_end=f"2025-{month:02d}",
            amount_fen=214_037 + month,
            paid_on="2025-11-20",
            eticket_no=f"311010225112{month:08d}",
            channel="京通网页（支付宝）",
        )
        for month in range(1, 13)
    ]
    total = sum(item.amount_fen for item in items)
    return Content(
        certificate_no="SBZM202511200123456789",
        name="张三",
        taxpayer_id=TAXPAYER,
        id_type="居民身份证",
        tax_office="国家税务总局北京市西城区税务局什刹海税务所",
        scheme="灵活就业人员社会保险费",
        period_from="2025-01",
        period_to="2025-12",
        issued_on="2025-11-20",
        total_fen=total,
        total_in_words=amount_in_words(total),
        verification_code=code,
        verify_url=f"http://127.0.0.1:8000/verify?taxpayer_id={TAXPAYER}&code={code}",
        items=items,
    )


def _rate(label: str, count: int, work: Callable[[], object]) -> float:
    work()  # warm up (font registration, key loading)
    started = time.perf_counter()
    for _ in range(count):
        work()
    per_second = count / (time.perf_counter() - started)
    print(f"  {label:<34} {per_second:8.1f} /s")
    return per_second


def _latencies(count: int, call: Callable[[], object]) -> list[float]:
    call()
    times = []
    for _ in range(count):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return times


def _summary(label: str, times: list[float]) -> tuple[float, float, float]:
    quantiles = statistics.quantiles(times, n=100)
    p50, p99 = statistics.median(times), quantiles[98]
    per_second = len(times) / (sum(times) / 1000)
    print(f"  {label:<34} {per_second:8.1f} /s   p50 {p50:6.2f} ms   p99 {p99:6.2f} ms")
    return per_second, p50, p99


def generation(data_dir: Path, count: int) -> None:
    settings = Settings(env="dev", data_dir=data_dir)
    signing = material(settings)
    content = _content(new_verification_code())
    print(f"generation: {count} certificates of 12 items each")
    unsigned = _rate("unsigned render (baseline)", count, lambda: render_pdf(content))
    signed = _rate(
        "signed (render + PAdES)",
        count,
        lambda: sign(render_pdf(content), signing, reason="缴费证明", location="北京"),
    )
    whole = _rate(
        "worker's work (+ PNG view)",
        count,
        lambda: render_png(sign(render_pdf(content), signing, reason="缴费证明", location="北京")),
    )
    print(f"  signed / unsigned: {signed / unsigned:.2f}   whole / unsigned: {whole / unsigned:.2f}")


def verifications(data_dir: Path, count: int) -> None:
    settings = Settings(
        env="dev",
        data_dir=data_dir,
        database_url=f"sqlite:///{data_dir / 'bench.db'}",
        secret_key="bench-secret-key-0123456789abcdef0123",
    )
    runtime = Runtime.build(settings)
    upgrade(runtime.db)
    code = new_verification_code()
    with runtime.work().step() as step:
        session, now = step.session, step.now
        person, _ = PersonRepository(session).upsert(
            validate("resident_id", TAXPAYER, today=now.date()), "张三", None, now=now
        )
        session.add(
            Certificate(
                certificate_no="SBZM202511200123456789",
                requested_by_id=person.id,
                person_id=person.id,
                scheme="flexible_employment",
                period_from="2025-01",
                period_to="2025-12",
                status="ready",
                channel="h5",
                applied_at=now - timedelta(minutes=1),
                issued_at=now,
                attempts=1,
                total_fen=_content(code).total_fen,
                item_count=12,
                verification_code=code,
                verification_index=verification.verification_index(TAXPAYER, code),
                content=_content(code).to_json(),
            )
        )
    verification.CAPTCHAS_PER_ADDRESS = Limit("captcha-ip", 10**9, timedelta(hours=1))
    print(f"verification: {count} calls each, in-process on SQLite")
    with TestClient(create_app(runtime=runtime)) as client:
        bare = _summary("GET /health (baseline)", _latencies(count, lambda: client.get("/health")))

        def verify() -> None:
            captcha = client.get("/api/v1/captcha").json()
            answer = client.get(f"/sandbox/captcha/{captcha['captcha_id']}").json()["answer"]
            body = {
                "taxpayer_id": TAXPAYER,
                "verification_code": code,
                "captcha_id": captcha["captcha_id"],
                "captcha_answer": answer,
            }
            started = time.perf_counter()
            answered = client.post("/api/v1/certificates/verify", json=body)
            times.append((time.perf_counter() - started) * 1000)
            assert answered.status_code == 200, answered.text

        times: list[float] = []
        for _ in range(count + 1):
            verify()
        verified = _summary("POST /api/v1/certificates/verify", times[1:])
    print(f"  verify / bare: {verified[0] / bare[0]:.2f} of the throughput, p50 ×{verified[1] / bare[1]:.1f}")
    runtime.db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--certificates", type=int, default=50)
    parser.add_argument("--verifications", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="shebao-bench-certificates-") as folder:
        generation(Path(folder), args.certificates)
        verifications(Path(folder), args.verifications)


if __name__ == "__main__":
    main()
