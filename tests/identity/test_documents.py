"""Identity documents: validation vectors per type, exact messages, taxpayer IDs, phone numbers."""

from __future__ import annotations

import dataclasses
import hashlib
import re
from datetime import date

import pytest

from shebao.identity.documents import (
    ID_TYPE_LABELS,
    Document,
    DocumentError,
    IdType,
    check_character,
    derive_taxpayer_id,
    normalize,
    parse_id_type,
    validate,
    validate_phone,
)

TODAY = date(2025, 6, 30)


# --- types and labels ---------------------------------------------------------------------------


def test_id_type_values_and_labels() -> None:
    assert [t.value for t in IdType] == [
        "resident_id",
        "hk_mo_permit",
        "hk_mo_residence",
        "tw_permit",
        "tw_residence",
        "foreign_permanent",
        "passport",
    ]
    assert ID_TYPE_LABELS == {
        IdType.RESIDENT_ID: "居民身份证",
        IdType.HK_MO_PERMIT: "港澳居民来往内地通行证",
        IdType.HK_MO_RESIDENCE: "港澳居民居住证",
        IdType.TW_PERMIT: "台湾居民来往大陆通行证",
        IdType.TW_RESIDENCE: "台湾居民居住证",
        IdType.FOREIGN_PERMANENT: "外国人永久居留身份证",
        IdType.PASSPORT: "护照",
    }


@pytest.mark.parametrize(
    ("raw", "expected"), [("resident_id", IdType.RESIDENT_ID), (" Passport ", IdType.PASSPORT)]
)
def test_parse_id_type(raw: str, expected: IdType) -> None:
    assert parse_id_type(raw) is expected


@pytest.mark.parametrize("raw", ["", "id_card", "身份证", "resident-id"])
def test_unknown_id_type(raw: str) -> None:
    with pytest.raises(DocumentError) as info:
        validate(raw, "110101199003071823", today=TODAY)
    assert info.value.message == "证件类型不正确"
    assert str(info.value) == "证件类型不正确"
    assert isinstance(info.value, ValueError)


# --- normalisation --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("id_type", "raw", "expected"),
    [
        ("resident_id", "11010119900307109x", "11010119900307109X"),
        ("resident_id", " 1101 0119 9003 0718 23 ", "110101199003071823"),
        ("resident_id", "１１０１０１１９９００３０７１０９ｘ", "11010119900307109X"),
        ("resident_id", "\u3000110101199003071823\t\n", "110101199003071823"),
        ("hk_mo_permit", "ｈ１２３４５６７８", "H12345678"),
        ("passport", "e 1234 5678", "E12345678"),
        ("foreign_permanent", "usa110088051201", "USA110088051201"),
    ],
)
def test_normalize(id_type: str, raw: str, expected: str) -> None:
    assert normalize(id_type, raw) == expected


@pytest.mark.parametrize("raw", ["", "   ", "\u3000", "\t\n"])
@pytest.mark.parametrize("id_type", [t.value for t in IdType])
def test_empty_number(id_type: str, raw: str) -> None:
    with pytest.raises(DocumentError) as info:
        validate(id_type, raw, today=TODAY)
    assert info.value.message == "证件号码不能为空"


# --- check character ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("37010119010203997", "3"),
        ("11010119900307182", "3"),
        ("11010519491231002", "X"),
        ("11010119900307109", "X"),
        ("91101519880512012", "X"),
        ("81000019900101123", "0"),
    ],
)
def test_check_character(body: str, expected: str) -> None:
    assert check_character(body) == expected


@pytest.mark.parametrize(
    "body",
    ["1101011990030718", "110101199003071823", "1101011990030718X", "１１０１０１１９９００３０７１８２"],
)
def test_check_character_needs_17_ascii_digits(body: str) -> None:
    with pytest.raises(ValueError, match="17 ASCII digits"):
        check_character(body)


# --- valid documents ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("id_type", "raw", "number", "birth_date"),
    [
        # resident ID
        ("resident_id", "370101190102039973", "370101190102039973", date(1901, 2, 3)),
        ("resident_id", "110101199003071823", "110101199003071823", date(1990, 3, 7)),
        ("resident_id", "11010119900307109x", "11010119900307109X", date(1990, 3, 7)),
        ("resident_id", "11010519491231002X", "11010519491231002X", date(1949, 12, 31)),
        ("resident_id", "11010519000101001X", "11010519000101001X", date(1900, 1, 1)),
        ("resident_id", "440306198812310454", "440306198812310454", date(1988, 12, 31)),
        ("resident_id", "１１０１０１１９９００３０７１８２３", "110101199003071823", date(1990, 3, 7)),
        # 港澳居民居住证
        ("hk_mo_residence", "810000199001011230", "810000199001011230", date(1990, 1, 1)),
        ("hk_mo_residence", "820000198512310029", "820000198512310029", date(1985, 12, 31)),
        # 台湾居民居住证 (2000-02-29 exists)
        ("tw_residence", "830000200002290031", "830000200002290031", date(2000, 2, 29)),
        # 外国人永久居留身份证, 2023 version
        ("foreign_permanent", "91101519880512012x", "91101519880512012X", date(1988, 5, 12)),
        # 外国人永久居留身份证, 2017 version: 20YY unless after today, then 19YY
        ("foreign_permanent", "USA110088051201", "USA110088051201", date(1988, 5, 12)),
        ("foreign_permanent", "gbr310015030127", "GBR310015030127", date(2015, 3, 1)),
        ("foreign_permanent", "FRA110025063011", "FRA110025063011", date(2025, 6, 30)),
        ("foreign_permanent", "FRA110025070111", "FRA110025070111", date(1925, 7, 1)),
        ("foreign_permanent", "DEU110000022905", "DEU110000022905", date(2000, 2, 29)),
        # 回乡证
        ("hk_mo_permit", "H12345678", "H12345678", None),
        ("hk_mo_permit", "M1234567801", "M1234567801", None),
        ("hk_mo_permit", "h12345678", "H12345678", None),
        # 台胞证
        ("tw_permit", "12345678", "12345678", None),
        ("tw_permit", "1234567801", "1234567801", None),
        # 护照
        ("passport", "E12345678", "E12345678", None),
        ("passport", "g12345678", "G12345678", None),
        ("passport", "AB123", "AB123", None),
        ("passport", "12345", "12345", None),
        ("passport", "ABCDEFGHIJKLMNOP1", "ABCDEFGHIJKLMNOP1", None),
    ],
)
def test_valid(id_type: str, raw: str, number: str, birth_date: date | None) -> None:
    document = validate(id_type, raw, today=TODAY)
    assert document.id_type == IdType(id_type)
    assert document.id_number == number
    assert document.birth_date == birth_date


def test_document_is_frozen() -> None:
    document = validate("resident_id", "110101199003071823", today=TODAY)
    assert document == Document(
        id_type=IdType.RESIDENT_ID,
        id_number="110101199003071823",
        birth_date=date(1990, 3, 7),
        taxpayer_id="110101199003071823",
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        document.id_number = "370101190102039973"
    assert document.label == "居民身份证"
    assert document.masked_number == "110101********1823"


@pytest.mark.parametrize(
    ("id_type", "number"),
    [
        ("resident_id", "110105202506300025"),
        ("hk_mo_residence", "820000202506300013"),
        ("foreign_permanent", "911015202506300010"),
    ],
)
def test_born_today_is_accepted(id_type: str, number: str) -> None:
    body = number[:17]
    number = body + check_character(body)
    assert validate(id_type, number, today=TODAY).birth_date == TODAY


# --- invalid documents: one exact message per failure ---------------------------------------------


@pytest.mark.parametrize(
    ("id_type", "raw", "message"),
    [
        # resident ID
        ("resident_id", "11010119900307182X", "身份证号码校验位错误"),
        ("resident_id", "370101190102039974", "身份证号码校验位错误"),
        ("resident_id", "11010119900307182", "身份证号码应为18位"),
        ("resident_id", "1101011990030718233", "身份证号码应为18位"),
        ("resident_id", "110101199003071", "身份证号码应为18位"),
        ("resident_id", "1101011990030718A3", "身份证号码格式不正确"),
        ("resident_id", "11010119900307182Y", "身份证号码格式不正确"),
        ("resident_id", "X10101199003071823", "身份证号码格式不正确"),
        ("resident_id", "110101-99003071823", "身份证号码格式不正确"),
        ("resident_id", "990101199001010019", "身份证号码地区码不正确"),
        ("resident_id", "000101199001010019", "身份证号码地区码不正确"),
        ("resident_id", "160101199001010019", "身份证号码地区码不正确"),
        ("resident_id", "710000199001011237", "身份证号码地区码不正确"),
        ("resident_id", "810000199001011230", "身份证号码地区码不正确"),
        ("resident_id", "830000200002290031", "身份证号码地区码不正确"),
        ("resident_id", "911015198805120123", "身份证号码地区码不正确"),
        ("resident_id", "11010519900230001X", "身份证号码出生日期不正确"),
        ("resident_id", "110105199013010010", "身份证号码出生日期不正确"),
        ("resident_id", "110105199000010010", "身份证号码出生日期不正确"),
        ("resident_id", "110105189912310015", "身份证号码出生日期不正确"),
        ("resident_id", "110105202507010020", "身份证号码出生日期不能晚于今天"),
        # 港澳居民居住证
        ("hk_mo_residence", "810000199001011231", "港澳居民居住证号码校验位错误"),
        ("hk_mo_residence", "81000019900230123X", "港澳居民居住证号码出生日期不正确"),
        ("hk_mo_residence", "820000202507010012", "港澳居民居住证号码出生日期不能晚于今天"),
        ("hk_mo_residence", "81000019900101123", "港澳居民居住证号码应为18位"),
        ("hk_mo_residence", "81000019900101123A", "港澳居民居住证号码格式不正确"),
        ("hk_mo_residence", "830000200002290031", "港澳居民居住证号码应以810000或820000开头"),
        ("hk_mo_residence", "110101199003071823", "港澳居民居住证号码应以810000或820000开头"),
        ("hk_mo_residence", "810100199001011230", "港澳居民居住证号码应以810000或820000开头"),
        # 台湾居民居住证 (1900-02-29 does not exist)
        ("tw_residence", "830000200002290032", "台湾居民居住证号码校验位错误"),
        ("tw_residence", "830000190002290019", "台湾居民居住证号码出生日期不正确"),
        ("tw_residence", "830000202507010014", "台湾居民居住证号码出生日期不能晚于今天"),
        ("tw_residence", "8300002000022900311", "台湾居民居住证号码应为18位"),
        ("tw_residence", "810000199001011230", "台湾居民居住证号码应以830000开头"),
        # 外国人永久居留身份证
        ("foreign_permanent", "911015198805120120", "外国人永久居留身份证号码校验位错误"),
        ("foreign_permanent", "911015199002301204", "外国人永久居留身份证号码出生日期不正确"),
        ("foreign_permanent", "91101520250701001X", "外国人永久居留身份证号码出生日期不能晚于今天"),
        ("foreign_permanent", "USA110090023001", "外国人永久居留身份证号码出生日期不正确"),
        ("foreign_permanent", "USA110088133101", "外国人永久居留身份证号码出生日期不正确"),
        ("foreign_permanent", "110101199003071823", "外国人永久居留身份证号码格式不正确"),
        ("foreign_permanent", "91101519880512012", "外国人永久居留身份证号码格式不正确"),
        ("foreign_permanent", "9110151988051201X1", "外国人永久居留身份证号码格式不正确"),
        ("foreign_permanent", "US1110088051201", "外国人永久居留身份证号码格式不正确"),
        ("foreign_permanent", "USA11008805120", "外国人永久居留身份证号码格式不正确"),
        ("foreign_permanent", "USA1100880512011", "外国人永久居留身份证号码格式不正确"),
        # 回乡证
        ("hk_mo_permit", "H1234567", "通行证号码格式不正确"),
        ("hk_mo_permit", "H123456780", "通行证号码格式不正确"),
        ("hk_mo_permit", "H123456780123", "通行证号码格式不正确"),
        ("hk_mo_permit", "C12345678", "通行证号码格式不正确"),
        ("hk_mo_permit", "12345678", "通行证号码格式不正确"),
        ("hk_mo_permit", "HA1234567", "通行证号码格式不正确"),
        # 台胞证
        ("tw_permit", "1234567", "通行证号码格式不正确"),
        ("tw_permit", "123456789", "通行证号码格式不正确"),
        ("tw_permit", "12345678901", "通行证号码格式不正确"),
        ("tw_permit", "A1234567", "通行证号码格式不正确"),
        # 护照
        ("passport", "A123", "护照号码格式不正确"),
        ("passport", "ABCDEFGHIJKLMNOP12", "护照号码格式不正确"),
        ("passport", "ABCDEFGH", "护照号码格式不正确"),
        ("passport", "E1234-678", "护照号码格式不正确"),
        ("passport", "E1234567８#", "护照号码格式不正确"),
        ("passport", "É12345678", "护照号码格式不正确"),
    ],
)
def test_invalid(id_type: str, raw: str, message: str) -> None:
    with pytest.raises(DocumentError) as info:
        validate(id_type, raw, today=TODAY)
    assert info.value.message == message


def test_non_ascii_digits_are_refused() -> None:
    arabic_indic = "١١٠١٠١١٩٩٠٠٣٠٧١٨٢٣"  # U+0661.. digits: isdigit() but not 0-9
    with pytest.raises(DocumentError) as info:
        validate("resident_id", arabic_indic, today=TODAY)
    assert info.value.message == "身份证号码格式不正确"


def test_future_birth_depends_on_today() -> None:
    with pytest.raises(DocumentError) as info:
        validate("resident_id", "110105202507010020", today=TODAY)
    assert info.value.message == "身份证号码出生日期不能晚于今天"
    tomorrow = date(2025, 7, 1)
    assert validate("resident_id", "110105202507010020", today=tomorrow).birth_date == tomorrow


# --- taxpayer IDs ---------------------------------------------------------------------------------


def test_resident_taxpayer_id_is_the_number() -> None:
    assert validate("resident_id", "11010119900307109x", today=TODAY).taxpayer_id == "11010119900307109X"
    assert derive_taxpayer_id(IdType.RESIDENT_ID, "370101190102039973") == "370101190102039973"


@pytest.mark.parametrize(
    ("id_type", "number", "taxpayer_id"),
    [
        ("hk_mo_permit", "H12345678", "W15778318410050315"),
        ("hk_mo_residence", "810000199001011230", "W27175073592457368"),
        ("tw_permit", "12345678", "W37982145523440463"),
        ("tw_residence", "830000200002290031", "W48431239459338866"),
        ("foreign_permanent", "91101519880512012X", None),
        ("foreign_permanent", "USA110088051201", "W57392741917528325"),
        ("passport", "E12345678", "W67922732107147746"),
    ],
)
def test_assigned_taxpayer_id(id_type: str, number: str, taxpayer_id: str | None) -> None:
    kind = IdType(id_type)
    digest = int.from_bytes(hashlib.sha256(f"{id_type}:{number}".encode()).digest(), "big")
    expected = "W" + "0123456"[list(IdType).index(kind)] + f"{digest % 10**16:016d}"
    if taxpayer_id is not None:
        assert expected == taxpayer_id
    document = validate(id_type, number.lower(), today=TODAY)
    assert document.taxpayer_id == expected
    assert len(document.taxpayer_id) == 18
    assert re.fullmatch(r"W[1-6][0-9]{16}", document.taxpayer_id)
    # stable: same document, same number, however it was typed
    assert derive_taxpayer_id(kind, f" {number} ") == expected
    assert validate(id_type, number, today=date(2030, 1, 1)).taxpayer_id == expected


def test_taxpayer_id_type_digit_follows_the_enum_order() -> None:
    # the test above derives the type digit from the enum order; pin it so a reordering fails loudly
    digits = [derive_taxpayer_id(t, "A12345678")[1] for t in IdType if t is not IdType.RESIDENT_ID]
    assert digits == list("123456")


def test_same_number_under_two_types_gets_distinct_taxpayer_ids() -> None:
    ids = {derive_taxpayer_id(t, "12345678") for t in IdType if t is not IdType.RESIDENT_ID}
    assert len(ids) == 6
    assert derive_taxpayer_id("passport", "H12345678") == "W61733372604277908"
    assert derive_taxpayer_id("hk_mo_permit", "H12345678") != derive_taxpayer_id("passport", "H12345678")


def test_distinct_documents_get_distinct_taxpayer_ids() -> None:
    numbers = [f"E{n:08d}" for n in range(2000)]
    assert len({derive_taxpayer_id("passport", n) for n in numbers}) == 2000


@pytest.mark.parametrize(
    ("id_type", "numbers"),
    [
        ("hk_mo_permit", ["H12345678", "H1234567800", "H1234567801", "h12345678 02"]),
        ("tw_permit", ["12345678", "1234567800", "1234567803"]),
    ],
)
def test_permit_renewal_keeps_the_taxpayer_id(id_type: str, numbers: list[str]) -> None:
    expected = derive_taxpayer_id(id_type, numbers[0])
    assert {validate(id_type, n, today=TODAY).taxpayer_id for n in numbers} == {expected}


def test_assigned_taxpayer_id_is_never_a_resident_id() -> None:
    for kind in IdType:
        if kind is IdType.RESIDENT_ID:
            continue
        taxpayer_id = derive_taxpayer_id(kind, "110101199003071823")
        with pytest.raises(DocumentError):
            validate("resident_id", taxpayer_id, today=TODAY)
        with pytest.raises(DocumentError):
            validate("foreign_permanent", taxpayer_id, today=TODAY)


def test_taxpayer_id_unknown_type() -> None:
    with pytest.raises(DocumentError) as info:
        derive_taxpayer_id("id_card", "110101199003071823")
    assert info.value.message == "证件类型不正确"


# --- phone numbers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13812345678", "13812345678"),
        ("19912345678", "19912345678"),
        (" 138 1234 5678 ", "13812345678"),
        ("138-1234-5678", "13812345678"),
        ("+86 13812345678", "13812345678"),
        ("+8613812345678", "13812345678"),
        ("１３８１２３４５６７８", "13812345678"),
    ],
)
def test_validate_phone(raw: str, expected: str) -> None:
    assert validate_phone(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "12812345678",
        "11812345678",
        "23812345678",
        "1381234567",
        "138123456789",
        "1381234567a",
        "+8513812345678",
        "8613812345678",
        "010-12345678",
        "١٣٨١٢٣٤٥٦٧٨",
    ],
)
def test_invalid_phone(raw: str) -> None:
    with pytest.raises(DocumentError) as info:
        validate_phone(raw)
    assert info.value.message == "手机号码格式不正确"
