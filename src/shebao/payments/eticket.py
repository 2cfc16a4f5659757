"""电子税票号码 (e-ticket number) of a successful payment.

Format (20 digits): `3` (social insurance fee) + the tax office's 6-digit region code + the payment
date YYMMDD (Asia/Shanghai) + 7 random digits. Unique by a database constraint; a collision (about
one in ten million per office and day) is retried by the caller with a fresh number.
"""

from __future__ import annotations

import re
from datetime import datetime

from shebao.kit.clock import to_shanghai
from shebao.kit.ids import random_digits

FORMAT = re.compile(r"^3\d{19}$")


def new_eticket_no(region_code: str, paid_at: datetime) -> str:
    region = (region_code[:6] if region_code[:6].isdigit() else "110000").ljust(6, "0")
    return "3" + region + to_shanghai(paid_at).strftime("%y%m%d") + random_digits(7)
