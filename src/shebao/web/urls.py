"""The one check for every redirect and link built from input: a path on this site, or nothing.

Browsers are lenient: they read `\\` as `/`, drop tabs and newlines inside URLs and follow
`//host` to another site, so `/\\evil.example` and `/\\t/evil.example` leave the site although they
start with one slash. Only a plain absolute path passes.
"""

from __future__ import annotations

from urllib.parse import urlsplit

MAX_LENGTH = 512


def local_path(value: str | None, default: str = "/") -> str:
    """`value` when it is a path on this site (`/fees?x=1`), else `default`."""
    if not value or len(value) > MAX_LENGTH or not value.startswith("/"):
        return default
    if value.startswith("//") or "\\" in value:
        return default
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return default
    return value
