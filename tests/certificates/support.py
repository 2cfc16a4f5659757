"""Arrangements for the certificate tests: paid fees, requests, the PDF's text and the captcha's answer."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path
from typing import Any

from tests.records.test_records import _paid

__all__ = ["_paid", "certificate", "request", "pdf_text", "pdffonts_rows", "captcha"]


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
