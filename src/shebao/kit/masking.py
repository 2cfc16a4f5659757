"""Masking of personal data for display and logs: ID numbers, phone numbers, names, bank accounts.

Every helper keeps the length of its input (one ``*`` per hidden character), so a masked value still
looks like what it stands for, and never shows more than the usual convention for that kind of data.
They are pure string functions: they do not validate, and an empty input gives an empty output.
"""

from __future__ import annotations

MASK = "*"


def _keep(value: str, head: int, tail: int) -> str:
    """Keep `head` leading and `tail` trailing characters, a star for every one in between."""
    if head + tail >= len(value):
        return MASK * len(value)
    return value[:head] + MASK * (len(value) - head - tail) + value[len(value) - tail :]


def _compact(value: str) -> str:
    """Drop all whitespace (numbers are often written in groups: ``6228 0012 3456 1234``)."""
    return "".join(value.split())


def mask_id_number(id_number: str) -> str:
    """Mask an identity-document number.

    - 18 characters (resident ID, residence permits, 2023 foreign permanent residence card): the
      usual convention, first 6 and last 4 shown: ``110105199001010022`` → ``110105********0022``.
    - 12–17 and 19+ characters: first 2 and last 3 (``USA123419900101`` → ``US**********101``).
    - 8–11 characters (回乡证, 台胞证, most passports): first 1 and last 2 (``H12345678`` → ``H******78``).
    - 5–7 characters: first 1 and last 1.
    - 4 characters or fewer: everything hidden.

    Apart from the 18-character convention no more than about a third of the number is shown.
    """
    value = id_number.strip()
    length = len(value)
    if length == 18:
        return _keep(value, 6, 4)
    if length >= 12:
        return _keep(value, 2, 3)
    if length >= 8:
        return _keep(value, 1, 2)
    if length >= 5:
        return _keep(value, 1, 1)
    return MASK * length


def mask_phone(phone: str) -> str:
    """Mask a phone number: first 3 and last 4 shown (``13812345678`` → ``138****5678``).

    Whitespace is dropped first. Numbers shorter than 8 characters show only their last 2
    (and nothing at all under 5 characters).
    """
    value = _compact(phone)
    if len(value) >= 8:
        return _keep(value, 3, 4)
    if len(value) >= 5:
        return _keep(value, 0, 2)
    return MASK * len(value)


def mask_name(name: str) -> str:
    """Mask a person's name the way Chinese apps do: the first character (the surname) is hidden.

    ``张三`` → ``*三``, ``张三丰`` → ``*三丰``, ``张`` → ``*``. A two-character surname (欧阳) keeps its
    second character (``欧阳娜娜`` → ``*阳娜娜``): only the first character is ever replaced.
    """
    value = name.strip()
    if not value:
        return ""
    return MASK + value[1:]


def mask_account(account: str) -> str:
    """Mask a bank card or account number: first 6 (the bank's BIN) and last 4 shown.

    ``6228001234561234`` → ``622800******1234``. Whitespace is dropped first. Numbers of 8–13
    characters show only their last 4, shorter ones nothing.
    """
    value = _compact(account)
    if len(value) >= 14:
        return _keep(value, 6, 4)
    if len(value) >= 8:
        return _keep(value, 0, 4)
    return MASK * len(value)
