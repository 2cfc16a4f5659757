"""The tax core's feed of payments made elsewhere, as tests send it."""

from __future__ import annotations

import hashlib
from typing import Any

from tests.support.people import ZHANG_SAN

KEY = "taxcore-test-key-0123456789"


def feed_row(**overrides: str) -> dict[str, str]:
    row = {
        "source_id": "TC0001",
        "channel": "counter",
        "paid_at": "2025-11-20T10:00:00+08:00",
        "id_type": "resident_id",
        "id_number": ZHANG_SAN[1],
        "scheme": "resident_medical",
        "levy_item": "城乡居民基本医疗保险费",
        "period_start": "2026-01",
        "amount_yuan": "795.00",
        "eticket_no": "320251120000000001",
        "declaration_id": "",
    }
    row.update(overrides)
    return row


def feed(client, runtime, rows: list[dict[str, str]], key: str = KEY) -> Any:  # type: ignore[no-untyped-def]
    runtime.settings.taxcore_key_sha256 = hashlib.sha256(KEY.encode()).hexdigest()
    return client.post("/api/v1/taxcore/payments", json={"rows": rows}, headers={"X-TaxCore-Key": key})
