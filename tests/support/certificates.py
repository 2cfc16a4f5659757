"""Arrangements for the certificate tests: paid fees, requests, the PDF's text and the captcha's answer."""

from __future__ import annotations

import subprocess
import tempfile
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from shebao.certificates.models import Certificate
from tests.support.payments import paid_by_alipay
from tests.support.people import transaction

__all__ = ["paid_by_alipay", "certificate", "request", "pdf_text", "pdffonts_rows", "captcha"]


def request(
    client,
    headers,
    scheme: str = "resident_medical",
    period_from: str = "2026-01",
    period_to: str = "2026-12",
    **extra: Any,
):  # type: ignore[no-untyped-def]
    body = {"scheme": scheme, "period_from": period_from, "period_to": period_to, **extra}
    return client.post("/api/v1/certificates", json=body, headers=headers)


def certificate(client, headers, certificate_id: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    answer = client.get(f"/api/v1/certificates/{certificate_id}", headers=headers)
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def _run(tool: str, pdf: bytes, *args: str) -> str:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "certificate.pdf"
        path.write_bytes(pdf)
        return subprocess.run(
            [tool, *args, str(path), *(["-"] if tool == "pdftotext" else [])],
            check=True,
            capture_output=True,
            text=True,
        ).stdout


def pdf_text(pdf: bytes) -> str:
    """pdftotext (poppler) in reading order."""
    return _run("pdftotext", pdf, "-layout")


def pdffonts_rows(pdf: bytes) -> list[list[str]]:
    lines = _run("pdffonts", pdf).splitlines()[2:]
    return [line.split() for line in lines if line.strip()]


def captcha(client) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """A fresh captcha's id and (from the sandbox) its answer."""
    made = client.get("/api/v1/captcha")
    assert made.status_code == 200, made.text
    captcha_id = made.json()["captcha_id"]
    answer = client.get(f"/sandbox/captcha/{captcha_id}").json()["answer"]
    return captcha_id, answer


def left_generating(
    runtime,
    person,
    *,
    claimed_ago: timedelta | None,
    token: str | None = "dead-worker",
    period_from: str = "2026-01",
) -> uuid.UUID:  # type: ignore[no-untyped-def]
    """A request as a worker killed mid-generation leaves it: generating, claimed `claimed_ago`."""
    now = runtime.clock.now()
    with transaction(runtime) as s:
        row = Certificate(
            certificate_no="SBZM20251120" + uuid.uuid4().hex[:10].upper(),
            requested_by_id=person.id,
            person_id=person.id,
            scheme="resident_medical",
            period_from=period_from,
            period_to="2026-12",
            status="generating",
            channel="h5",
            applied_at=now - timedelta(minutes=10),
            claimed_at=None if claimed_ago is None else now - claimed_ago,
            claim_token=None if claimed_ago is None else token,
            attempts=0 if claimed_ago is None else 1,
        )
        s.add(row)
        s.flush()
        return row.id
