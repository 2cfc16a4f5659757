"""Text from outside: characters nobody can see or type, and the one normal form of a person's name.

    >>> normalise_name(" 张三 ")
    '张三'
    >>> invisible_characters("张\\u202e三\\u200b")
    ['U+200B', 'U+202E']

Names are compared byte for byte at login, so a name must be stored as a citizen can type it: NFKC
(full-width letters and compatibility forms folded) and without control, format (bidirectional
overrides and isolates, zero-width spaces and joiners), private-use or unassigned characters. PostgreSQL
refuses NUL in text outright, so free text must not carry control characters either.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated

from pydantic import AfterValidator

# Cc control, Cf format (U+200B, U+202E, U+2066…U+2069), Co private use, Cs surrogates, Cn unassigned,
# Zl/Zp line and paragraph separators.
_SPACES = re.compile(" {2,}")
_INVISIBLE = frozenset({"Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp"})


def invisible_characters(value: str) -> list[str]:
    """The code points of `value` that cannot be seen or typed, as `U+XXXX`, sorted, each once."""
    return sorted({f"U+{ord(ch):04X}" for ch in value if unicodedata.category(ch) in _INVISIBLE})


def normalise_name(value: str) -> str:
    """NFKC, runs of spaces made one, stripped: the form names are stored and compared in."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", value)).strip()


def control_characters(value: str) -> list[str]:
    return sorted({f"U+{ord(ch):04X}" for ch in value if unicodedata.category(ch) == "Cc"})


def _no_control_characters(value: str) -> str:
    found = control_characters(value)
    if found:
        raise ValueError(f"不能含有控制字符（{'、'.join(found)}）")
    return value


# A line of free text from a client (a reason, a note): any visible text, never a control character.
PlainText = Annotated[str, AfterValidator(_no_control_characters)]
