"""Identifiers: time-ordered UUIDs for primary keys (index locality at 10 million rows), random tokens."""

from __future__ import annotations

import os
import secrets
import time
import uuid
from typing import Annotated

from pydantic import BeforeValidator

_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"


def new_id() -> uuid.UUID:
    """A UUIDv7 (RFC 9562): 48-bit Unix milliseconds, then random bits; sorts by creation time."""
    millis = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")  # what secrets.token_bytes reads, without its calls
    value = (millis & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76  # version 7
    value |= ((rand >> 64) & 0x0FFF) << 64  # rand_a (12 bits)
    value |= 0b10 << 62  # RFC 4122 variant
    value |= rand & ((1 << 62) - 1)  # rand_b
    return uuid.UUID(int=value)


def random_code(length: int) -> str:
    """An unguessable code from an alphabet without look-alike characters (0/O, 1/l/I)."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def random_digits(length: int) -> str:
    """`length` random decimal digits (uniform; one draw, not one per digit)."""
    return str(secrets.randbelow(10**length)).zfill(length)


def blank_as_none(value: object) -> object:
    """An empty form or query value means "not given" (`?payer_id=` is the payer themself)."""
    return None if value == "" else value


# An optional id: absent or empty is None; anything else must be a UUID (else a 422 naming the field).
OptionalId = Annotated[uuid.UUID | None, BeforeValidator(blank_as_none)]
