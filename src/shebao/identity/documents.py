"""Identity documents: normalisation, validation and the taxpayer ID (纳税人识别号) of a person.

Pure functions, no I/O and no clock: `validate` takes `today` from its caller.

Document types and the rules checked (`IdType`):

- ``resident_id`` 居民身份证 (GB 11643-1999): 18 characters, 17 digits and a check character
  (ISO 7064 MOD 11-2: weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2, R = Σ mod 11, check =
  ``"10X98765432"[R]``). The first two digits must be a province-level code of GB/T 2260 in use on
  the mainland (11–15, 21–23, 31–37, 41–46, 50–54, 61–65). 71 (台湾), 81 (香港) and 82 (澳门) exist
  in GB/T 2260 but are refused here: people from there do not hold a 居民身份证 and enrol with a
  通行证 or a 居住证 instead (the 居住证 numbers start with 810000/820000/830000 and have their own
  type). The birth date (positions 7–14, YYYYMMDD) must be a real date from 1900-01-01 to today.
- ``hk_mo_residence`` 港澳居民居住证 / ``tw_residence`` 台湾居民居住证: 18 characters, same layout and
  check character as the resident ID, starting with 810000 (香港) or 820000 (澳门) / 830000 (台湾).
- ``foreign_permanent`` 外国人永久居留身份证:
  - 2023 version: 18 characters, ``9`` + 2-digit province of acceptance + 3-digit nationality
    (numeric) + birth date YYYYMMDD (positions 7–14) + 3-digit sequence + check character, same
    MOD 11-2 check as the resident ID. The province and nationality digits are not checked.
  - 2017 (and earlier) version: 15 characters, 3 letters (ISO 3166-1 alpha-3 nationality) + 12
    digits: 4-digit place of acceptance + birth date YYMMDD (positions 8–13) + 1 sequence digit +
    1 check digit. Assumptions: the layout is the one of the public-security rules as implemented
    by public validators (the 2023 number is the same content with the letters turned into digits);
    the nationality letters, the place code and the check digit (whose algorithm is not published)
    are not checked, only the shape and a real birth date. The century is 20YY when that date is
    not after today, 19YY otherwise, which is the birth date the `Document` reports.
- ``hk_mo_permit`` 港澳居民来往内地通行证 (回乡证): ``H`` (香港) or ``M`` (澳门) + 8 digits (the
  holder's lifelong number), optionally + 2 digits counting the renewals: 9 or 11 characters.
- ``tw_permit`` 台湾居民来往大陆通行证 (台胞证): 8 digits (lifelong number), optionally + 2 digits
  counting the renewals: 8 or 10 characters.
- ``passport`` 护照: 5–17 uppercase letters and digits, at least one digit (Chinese passports are
  E/G + 8 digits, foreign ones vary too much to check more).

Every failure is a `DocumentError` carrying one Chinese message, for the person or the agency.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from operator import mul

from shebao.kit.masking import mask_id_number

__all__ = [
    "ID_TYPE_LABELS",
    "Document",
    "DocumentError",
    "IdType",
    "check_character",
    "derive_taxpayer_id",
    "normalize",
    "parse_id_type",
    "validate",
    "validate_phone",
]


class IdType(StrEnum):
    """The identity documents a person can enrol with (the `id_type` field of the interfaces)."""

    RESIDENT_ID = "resident_id"
    HK_MO_PERMIT = "hk_mo_permit"
    HK_MO_RESIDENCE = "hk_mo_residence"
    TW_PERMIT = "tw_permit"
    TW_RESIDENCE = "tw_residence"
    FOREIGN_PERMANENT = "foreign_permanent"
    PASSPORT = "passport"


ID_TYPE_LABELS: dict[IdType, str] = {
    IdType.RESIDENT_ID: "居民身份证",
    IdType.HK_MO_PERMIT: "港澳居民来往内地通行证",
    IdType.HK_MO_RESIDENCE: "港澳居民居住证",
    IdType.TW_PERMIT: "台湾居民来往大陆通行证",
    IdType.TW_RESIDENCE: "台湾居民居住证",
    IdType.FOREIGN_PERMANENT: "外国人永久居留身份证",
    IdType.PASSPORT: "护照",
}


class DocumentError(ValueError):
    """An identity document (or phone number) that is not acceptable; `message` says why, in Chinese."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class Document:
    """A validated identity document."""

    id_type: IdType
    id_number: str  # normalised: no spaces, uppercase, half-width
    birth_date: date | None  # None when the number does not carry it (通行证, 护照)
    taxpayer_id: str  # 纳税人识别号, see `derive_taxpayer_id`

    @property
    def label(self) -> str:
        """The Chinese name of the document type."""
        return ID_TYPE_LABELS[self.id_type]

    @property
    def masked_number(self) -> str:
        """The number as it may be displayed (``110105********002X``)."""
        return mask_id_number(self.id_number)


# --------------------------------------------------------------------------------------------------
# Normalisation

_FULL_WIDTH_OFFSET = 0xFEE0  # U+FF01..U+FF5E (！..～) are U+0021..U+007E shifted by this much
_IDEOGRAPHIC_SPACE = "\u3000"


_HALF_WIDTH = {code: code - _FULL_WIDTH_OFFSET for code in range(0xFF01, 0xFF5F)} | {
    ord(_IDEOGRAPHIC_SPACE): ord(" ")
}


def _to_half_width(raw: str) -> str:
    return raw.translate(_HALF_WIDTH)


def normalize(id_type: IdType | str, raw: str) -> str:
    """Normalise a document number as typed: full-width → half-width, no whitespace, uppercase.

    ``" １１０１０１１９９００３０７１８２x "`` → ``"11010119900307182X"``. The rule is the same for
    every document type today; `id_type` is taken so that a type-specific rule can be added without
    changing callers. It does not validate anything (see `validate`).
    """
    del id_type  # same rule for every type (see docstring)
    return "".join(_to_half_width(raw).split()).upper()


def parse_id_type(raw: str) -> IdType:
    """The `IdType` named by `raw` (surrounding spaces and case ignored), else 证件类型不正确."""
    try:
        return IdType(raw.strip().lower())
    except ValueError:
        raise DocumentError("证件类型不正确") from None


# --------------------------------------------------------------------------------------------------
# GB 11643-1999 building blocks (also used by the residence permits and the 2023 foreign card)

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"
_EIGHTEEN = re.compile(r"[0-9]{17}[0-9X]")
_EARLIEST_BIRTH = date(1900, 1, 1)

# GB/T 2260 province-level codes on the mainland; 71/81/82 deliberately left out (module docstring).
_PROVINCES = frozenset(
    f"{code:02d}"
    for code in (
        *range(11, 16),
        *range(21, 24),
        *range(31, 38),
        *range(41, 47),
        *range(50, 55),
        *range(61, 66),
    )
)


def check_character(body: str) -> str:
    """The GB 11643-1999 (ISO 7064 MOD 11-2) check character of a 17-digit body."""
    if len(body) != 17 or not body.isascii() or not body.isdigit():
        raise ValueError("the body of an 18-character ID number is 17 ASCII digits")
    remainder = sum(map(mul, map(int, body), _WEIGHTS)) % 11  # 17 digits, 17 weights (checked above)
    return _CHECK_CHARS[remainder]


def _eighteen(number: str, name: str) -> None:
    if len(number) != 18:
        raise DocumentError(f"{name}应为18位")
    if not _EIGHTEEN.fullmatch(number):
        raise DocumentError(f"{name}格式不正确")


def _parse_date(digits: str) -> date | None:
    """YYYYMMDD → date, or None when it is not a real date."""
    try:
        return date(int(digits[0:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return None


def _birth_date(digits: str, name: str, today: date) -> date:
    born = _parse_date(digits)
    if born is None or born < _EARLIEST_BIRTH:
        raise DocumentError(f"{name}出生日期不正确")
    if born > today:
        raise DocumentError(f"{name}出生日期不能晚于今天")
    return born


def _check(number: str, name: str) -> None:
    if check_character(number[:17]) != number[17]:
        raise DocumentError(f"{name}校验位错误")


# --------------------------------------------------------------------------------------------------
# One validator per document type: number (normalised, not empty) → birth date or None

_RESIDENT_NAME = "身份证号码"
_HK_MO_RESIDENCE_NAME = "港澳居民居住证号码"
_TW_RESIDENCE_NAME = "台湾居民居住证号码"
_FOREIGN_NAME = "外国人永久居留身份证号码"


def _resident_id(number: str, today: date) -> date | None:
    _eighteen(number, _RESIDENT_NAME)
    if number[:2] not in _PROVINCES:
        raise DocumentError(f"{_RESIDENT_NAME}地区码不正确")
    born = _birth_date(number[6:14], _RESIDENT_NAME, today)
    _check(number, _RESIDENT_NAME)
    return born


def _residence_permit(
    name: str, prefixes: tuple[str, ...], prefix_message: str
) -> Callable[[str, date], date]:
    def validate_permit(number: str, today: date) -> date:
        _eighteen(number, name)
        if not number.startswith(prefixes):
            raise DocumentError(prefix_message)
        born = _birth_date(number[6:14], name, today)
        _check(number, name)
        return born

    return validate_permit


_FOREIGN_2023 = re.compile(r"9[0-9]{16}[0-9X]")
_FOREIGN_2017 = re.compile(r"[A-Z]{3}[0-9]{12}")


def _foreign_permanent(number: str, today: date) -> date | None:
    if len(number) == 18 and _FOREIGN_2023.fullmatch(number):
        born = _birth_date(number[6:14], _FOREIGN_NAME, today)
        _check(number, _FOREIGN_NAME)
        return born
    if len(number) == 15 and _FOREIGN_2017.fullmatch(number):
        yymmdd = number[7:13]
        for century in ("20", "19"):
            candidate = _parse_date(century + yymmdd)
            if candidate is not None and candidate <= today:
                return candidate
        raise DocumentError(f"{_FOREIGN_NAME}出生日期不正确")
    raise DocumentError(f"{_FOREIGN_NAME}格式不正确")


_HK_MO_PERMIT = re.compile(r"[HM][0-9]{8}(?:[0-9]{2})?")
_TW_PERMIT = re.compile(r"[0-9]{8}(?:[0-9]{2})?")
_PASSPORT = re.compile(r"(?=[A-Z0-9]*[0-9])[A-Z0-9]{5,17}")


def _pattern(pattern: re.Pattern[str], message: str) -> Callable[[str, date], date | None]:
    def validate_pattern(number: str, today: date) -> date | None:
        del today  # these numbers carry no date
        if not pattern.fullmatch(number):
            raise DocumentError(message)
        return None

    return validate_pattern


_VALIDATORS: dict[IdType, Callable[[str, date], date | None]] = {
    IdType.RESIDENT_ID: _resident_id,
    IdType.HK_MO_RESIDENCE: _residence_permit(
        _HK_MO_RESIDENCE_NAME, ("810000", "820000"), "港澳居民居住证号码应以810000或820000开头"
    ),
    IdType.TW_RESIDENCE: _residence_permit(
        _TW_RESIDENCE_NAME, ("830000",), "台湾居民居住证号码应以830000开头"
    ),
    IdType.FOREIGN_PERMANENT: _foreign_permanent,
    IdType.HK_MO_PERMIT: _pattern(_HK_MO_PERMIT, "通行证号码格式不正确"),
    IdType.TW_PERMIT: _pattern(_TW_PERMIT, "通行证号码格式不正确"),
    IdType.PASSPORT: _pattern(_PASSPORT, "护照号码格式不正确"),
}


def validate(id_type: str, id_number: str, *, today: date) -> Document:
    """Validate a document given as typed; the `Document` holds the normalised number.

    Checks, in order: the type (证件类型不正确), an empty number (证件号码不能为空), then the rules of
    the type (module docstring); the first failure raises `DocumentError` with its message.
    """
    kind = parse_id_type(id_type)
    number = normalize(kind, id_number)
    if not number:
        raise DocumentError("证件号码不能为空")
    birth_date = _VALIDATORS[kind](number, today)
    return Document(
        id_type=kind,
        id_number=number,
        birth_date=birth_date,
        taxpayer_id=derive_taxpayer_id(kind, number),
    )


# --------------------------------------------------------------------------------------------------
# Taxpayer ID (纳税人识别号, 国家税务总局公告2018年第59号)

TAXPAYER_ID_PREFIX = "W"

# One digit per document type that gets an assigned number; never change these (IDs are stored).
_TAXPAYER_TYPE_CODES: dict[IdType, str] = {
    IdType.HK_MO_PERMIT: "1",
    IdType.HK_MO_RESIDENCE: "2",
    IdType.TW_PERMIT: "3",
    IdType.TW_RESIDENCE: "4",
    IdType.FOREIGN_PERMANENT: "5",
    IdType.PASSPORT: "6",
}
_TAXPAYER_HASH_DIGITS = 16


def _lifelong_number(id_type: IdType, number: str) -> str:
    """The part of a number that stays the same when the document is renewed."""
    if id_type is IdType.HK_MO_PERMIT:
        return number[:9]  # H/M + 8 digits; the 2 renewal digits change
    if id_type is IdType.TW_PERMIT:
        return number[:8]
    return number


def derive_taxpayer_id(id_type: IdType | str, id_number: str) -> str:
    """The taxpayer ID (纳税人识别号) of the holder of a document; pass a number `validate` accepted.

    - ``resident_id``: the ID number itself (公告2018年第59号: 有中国公民身份号码的，以其公民身份号码
      作为纳税人识别号).
    - any other document: an assigned number of 18 characters,
      ``"W"`` + one type digit + 16 digits, where the type digit is 1 ``hk_mo_permit``,
      2 ``hk_mo_residence``, 3 ``tw_permit``, 4 ``tw_residence``, 5 ``foreign_permanent``,
      6 ``passport``, and the 16 digits are the SHA-256 of ``"<id_type>:<number>"`` (UTF-8), read as
      a big-endian integer, modulo 10¹⁶, zero-padded. ``<number>`` is the normalised number, cut
      to its lifelong part for the 通行证 (``H12345678`` of ``H1234567801``, the first 8 digits of a
      台胞证), so renewing the permit keeps the taxpayer ID.

    The assigned number is deterministic and public (no key): the same document always gets the same
    number, on any machine. It cannot be mistaken for a resident ID (those are all digits, starting
    with a province digit 1–8) nor for a 2023 foreign permanent residence number (starting with 9),
    and the type digit keeps the same number under two document types apart. Two different documents
    of one type share a number only on a hash collision in 10¹⁶ (odds about n²/2·10⁻¹⁶ for n documents),
    which the uniqueness of stored taxpayer IDs would reveal rather than hide.
    """
    kind = parse_id_type(id_type)
    number = normalize(kind, id_number)
    if kind is IdType.RESIDENT_ID:
        return number
    payload = f"{kind.value}:{_lifelong_number(kind, number)}".encode()
    value = int.from_bytes(hashlib.sha256(payload).digest(), "big") % 10**_TAXPAYER_HASH_DIGITS
    return f"{TAXPAYER_ID_PREFIX}{_TAXPAYER_TYPE_CODES[kind]}{value:0{_TAXPAYER_HASH_DIGITS}d}"


# --------------------------------------------------------------------------------------------------
# Phone numbers

_MOBILE = re.compile(r"1[3-9][0-9]{9}")


def validate_phone(raw: str) -> str:
    """A mainland mobile number as typed → its 11 digits, else 手机号码格式不正确.

    Full-width digits, whitespace and hyphens (``138-1234-5678``) are tolerated, and so is a leading
    ``+86`` country code.
    """
    value = "".join(_to_half_width(raw).split()).replace("-", "")
    if value.startswith("+86"):
        value = value[3:]
    if not _MOBILE.fullmatch(value):
        raise DocumentError("手机号码格式不正确")
    return value
