"""证明校验码 and 证明编号.

The verification code is 15 digits from the operating system's CSPRNG plus one ISO 7064 MOD 11,10
check digit, so a mistyped code is caught before any lookup. The certificate number is drawn
separately, so neither can be derived from the other.
"""

from __future__ import annotations

import re
import secrets
from datetime import date

_CODE = re.compile(r"^\d{16}$")


def check_digit(digits: str) -> str:
    """ISO 7064 MOD 11,10: the check digit of a string of decimal digits."""
    product = 10
    for char in digits:
        total = (product + int(char)) % 10 or 10
        product = (2 * total) % 11
    return str((11 - product) % 10)


def new_verification_code() -> str:
    body = "".join(secrets.choice("0123456789") for _ in range(15))
    return body + check_digit(body)


def is_well_formed(code: str) -> bool:
    """16 digits whose last one is the check digit of the first 15."""
    return bool(_CODE.match(code)) and check_digit(code[:15]) == code[15]


def new_certificate_no(today: date) -> str:
    """证明编号: SBZM + the issue date + 10 random digits (unique by constraint)."""
    return f"SBZM{today:%Y%m%d}" + "".join(secrets.choice("0123456789") for _ in range(10))
