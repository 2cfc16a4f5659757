"""Passwords (argon2id, argon2-cffi's default parameters) and TOTP codes (pyotp, RFC 6238).

TOTP codes come from the operator's phone, so they follow real time, never the rehearsal clock. A code
is accepted once: the step it matched is remembered and a code of that step or an earlier one is refused.
"""

from __future__ import annotations

import hmac
import secrets
import time
from typing import Final

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

ISSUER: Final = "shebao 税务所控制台"
STEP_SECONDS: Final = 30
# Steps either side of now a code may come from: a phone's clock a little off, a code typed late.
DRIFT_STEPS: Final = 1
MIN_PASSWORD_LENGTH: Final = 12
MAX_PASSWORD_LENGTH: Final = 128
ONE_TIME_PASSWORD_LENGTH: Final = 16
_ONE_TIME_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"

_hasher = PasswordHasher()
# Verified against when the username is unknown, so that answer costs what a wrong password costs.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(24))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_matches(password_hash: str | None, password: str) -> bool:
    """Constant work whether or not there is a hash (an unknown username runs a verify too)."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def one_time_password() -> str:
    return "".join(secrets.choice(_ONE_TIME_ALPHABET) for _ in range(ONE_TIME_PASSWORD_LENGTH))


def new_totp_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, username: str) -> str:
    """The otpauth:// URI an authenticator app enrols from (the QR code carries it)."""
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)


def real_step(at: float | None = None) -> int:
    """The TOTP time-step of real time (Unix seconds), never the service clock."""
    return int((time.time() if at is None else at) // STEP_SECONDS)


def code_at(secret: str, step: int) -> str:
    return pyotp.TOTP(secret).at(step * STEP_SECONDS)


def matching_step(secret: str, code: str, *, last_step: int | None, at: float | None = None) -> int | None:
    """The time-step `code` belongs to, if it is a current code not used before; else None."""
    code = code.strip()
    if not (code.isdigit() and len(code) == 6):
        return None
    now = real_step(at)
    found = None
    for step in range(now - DRIFT_STEPS, now + DRIFT_STEPS + 1):  # every step compared: constant work
        if hmac.compare_digest(code_at(secret, step), code) and found is None:
            found = step
    if found is None or (last_step is not None and found <= last_step):
        return None
    return found
