"""电子税票号码 (e-ticket number) of a successful payment.

Format (20 digits): `3` (social insurance fee) + the tax office's 6-digit region code + the payment
date YYMMDD (Asia/Shanghai) + a 7-digit serial. A real-time payment draws its serial at random below
BATCH_SERIAL_FROM; batch deduction counts up from it per region and day, so the two never meet.
Unique by a database constraint; a collision of two random serials (about one in five million per
office and day) is retried by the caller with a fresh number.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime

from shebao.kit.clock import to_shanghai

FORMAT = re.compile(r"^3\d{19}$")
BATCH_SERIAL_FROM = 5_000_000


def new_eticket_no(region_code: str, paid_at: datetime) -> str:
    region = (region_code[:6] if region_code[:6].isdigit() else "110000").ljust(6, "0")
    serial = str(secrets.randbelow(BATCH_SERIAL_FROM)).zfill(7)
    return "3" + region + to_shanghai(paid_at).strftime("%y%m%d") + serial
