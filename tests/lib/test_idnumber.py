"""Tests for renkou.lib.idnumber (no Django, no database)."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from renkou.lib import idnumber
from renkou.lib.idnumber import IdNumber, InvalidIdNumber

VALID = "11010519491231002X"
TODAY = datetime.date(2024, 6, 1)
FULLWIDTH = {char: chr(ord(char) + 0xFEE0) for char in "0123456789Xx"}


def build(region: str, born: datetime.date, sequence: int) -> str:
    first17 = f"{region}{born:%Y%m%d}{sequence:03d}"
    return first17 + idnumber.check_character(first17)


regions = st.integers(min_value=110000, max_value=659999).map(str)
birth_dates = st.dates(min_value=datetime.date(1850, 1, 1), max_value=TODAY)
sequences = st.integers(min_value=0, max_value=999)
valid_numbers = st.builds(build, regions, birth_dates, sequences)


@st.composite
def disguised(draw: st.DrawFn, number: str) -> str:
    """The same number as a person might type it: full-width, lower-case x, stray spaces."""
    parts = []
    for char in number:
        if char == "X" and draw(st.booleans()):
            char = "x"
        if draw(st.booleans()):
            char = FULLWIDTH[char]
        parts.append(char + draw(st.sampled_from(["", "", " ", "\u3000", "\t"])))
    padding = st.sampled_from(["", " ", "\u3000", "\t", "  \n"])
    return draw(padding) + "".join(parts) + draw(padding)


# --------------------------------------------------------------------------- examples


def test_known_number_parses() -> None:
    parsed = idnumber.parse(VALID)
    assert parsed == IdNumber(
        number=VALID,
        region_code="110105",
        birth_date=datetime.date(1949, 12, 31),
        sex="F",
    )
    assert str(parsed) == VALID
    assert parsed.masked == "110105************"


def test_check_character_of_known_number() -> None:
    assert idnumber.check_character(VALID[:17]) == "X"


@pytest.mark.parametrize("bad", ["1101051949123100", "1101051949123100２", "a" * 17, ""])
def test_check_character_rejects_anything_but_17_ascii_digits(bad: str) -> None:
    with pytest.raises(ValueError):
        idnumber.check_character(bad)


def test_odd_sequence_digit_means_male() -> None:
    number = build("440305", datetime.date(1990, 7, 15), 123)
    assert idnumber.parse(number).sex == "M"
    assert idnumber.parse(build("440305", datetime.date(1990, 7, 15), 124)).sex == "F"


def test_fifteen_digit_number_is_converted() -> None:
    assert idnumber.to_18("110105491231002") == VALID
    parsed = idnumber.parse("110105491231002")
    assert parsed.number == VALID
    assert parsed.birth_date == datetime.date(1949, 12, 31)


@pytest.mark.parametrize(
    "text",
    [
        "11010519491231002x",
        " 11010519491231002X ",
        "１１０１０５１９４９１２３１００２Ｘ",
        "１１０１０５１９４９１２３１００２ｘ",
        "110105 19491231 002X",
        "110105\u300019491231\u3000002X",
        "\t110105\t19491231002X\n",
        "110105491231002",
        "110105 491231 002",
    ],
)
def test_normalisation(text: str) -> None:
    assert idnumber.parse(text).number == VALID
    assert idnumber.is_valid(text)


def test_is_valid_false_for_errors() -> None:
    assert not idnumber.is_valid("110105194912310021")
    assert not idnumber.is_valid("")


# --------------------------------------------------------------------------- error codes


def assert_error(text: str, code: str, zh: str, en: str) -> InvalidIdNumber:
    with pytest.raises(InvalidIdNumber) as caught:
        idnumber.parse(text, today=TODAY)
    error = caught.value
    assert error.code == code
    assert zh in error.message_zh
    assert en in error.message_en
    assert str(error) == f"{error.message_zh} / {error.message_en}"
    assert isinstance(error, ValueError)
    return error


def test_checksum_error_names_expected_character() -> None:
    error = assert_error(
        "110105194912310021",
        "checksum",
        "校验码错误：应为 X",
        "wrong check character: expected X",
    )
    assert error.expected == "X"
    assert str(error) == "校验码错误：应为 X / wrong check character: expected X"


@pytest.mark.parametrize("text", ["1101051949123100", "1101051949123100212", "12345", ""])
def test_length_error(text: str) -> None:
    error = assert_error(text, "length", "应为18位", "must have 18 characters")
    assert error.expected is None


def test_length_error_counts_characters() -> None:
    assert_error("1101051949123100", "length", "实际为16位", "got 16")


@pytest.mark.parametrize(
    ("text", "char"),
    [
        ("11010519491231002Y", "Y"),
        ("1101051949123X002X", "X"),
        ("11010519491231-02X", "-"),
        ("11010519491231OO2X", "O"),
        ("１１０１０５１９４９１２３１００２Ｙ", "Y"),
        ("11010519491231²02X", "²"),
        ("11010519491231002X1", "X"),
    ],
)
def test_characters_error_names_the_character(text: str, char: str) -> None:
    assert_error(text, "characters", f"非法字符“{char}”", f"invalid character '{char}'")


def test_characters_checked_before_length() -> None:
    assert_error("12a", "characters", "非法字符", "invalid character")


def test_fifteen_digit_number_cannot_end_in_x() -> None:
    assert_error("11010549123100X", "characters", "不能含有 X", "cannot contain X")


@pytest.mark.parametrize(
    ("text", "reason_zh", "reason_en"),
    [
        ("110105" + "20230229" + "0011", "不是有效日期", "not a real date"),
        ("110105" + "19491301" + "0010", "不是有效日期", "not a real date"),
        ("110105" + "18491231" + "0010", "早于1850年", "before 1850"),
        ("110105" + "20240602" + "0010", "晚于今天", "in the future"),
        ("110105" + "491301" + "002", "不是有效日期", "not a real date"),
    ],
)
def test_birth_date_errors(text: str, reason_zh: str, reason_en: str) -> None:
    error = assert_error(text, "birth_date", reason_zh, reason_en)
    assert error.expected is None


def test_birth_date_checked_before_checksum() -> None:
    # Wrong check character *and* impossible date: the date is the more useful complaint.
    assert_error("110105194902300010", "birth_date", "出生日期", "birth date")


def test_birth_date_bounds_are_inclusive() -> None:
    earliest = build("110105", datetime.date(1850, 1, 1), 1)
    assert idnumber.parse(earliest, today=TODAY).birth_date == datetime.date(1850, 1, 1)
    born_today = build("110105", TODAY, 1)
    assert idnumber.parse(born_today, today=TODAY).birth_date == TODAY


@pytest.mark.parametrize(
    "text",
    [
        "1.10105E+17",
        "1.10105194912310E+17",
        "1.10105194912310e+17",
        "110105E17",
        "110105194912310000",
        "110105194912310021.0",
        "1101051949123100.0",
    ],
)
def test_excel_mangled(text: str) -> None:
    error = assert_error(text, "excel_mangled", "Excel", "Excel")
    assert "文本" in error.message_zh
    assert "Text" in error.message_en


def test_float_rendering_of_a_valid_number_is_accepted() -> None:
    assert idnumber.parse("110105491231002.0").number == VALID
    number = build("110105", datetime.date(1990, 1, 1), 12)
    assert idnumber.parse(number + ".0").number == number


def test_valid_number_ending_in_000_is_not_excel_mangled() -> None:
    # Its check character really is 0, so it is a genuine number, not Excel damage.
    assert idnumber.check_character("11010419851120100") == "0"
    assert idnumber.parse("110104198511201000").number == "110104198511201000"


def test_excel_detection_comes_first() -> None:
    # Ends in 000 with an impossible birth date: still reported as Excel damage.
    assert_error("110105194913310000", "excel_mangled", "Excel", "Excel")


def test_to_18_rejects_wrong_input() -> None:
    with pytest.raises(InvalidIdNumber) as caught:
        idnumber.to_18(VALID)
    assert caught.value.code == "length"
    with pytest.raises(InvalidIdNumber) as caught:
        idnumber.to_18("11010549123100A")
    assert caught.value.code == "characters"


# --------------------------------------------------------------------------- masking


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        (VALID, "110105************"),
        ("11010519491231002x", "110105************"),
        ("110105491231002", "110105*********"),
        ("G12345678", "*********"),
        ("1234", "****"),
        ("", ""),
    ],
)
def test_mask(number: str, masked: str) -> None:
    assert idnumber.mask(number) == masked


# --------------------------------------------------------------------------- properties


@given(regions, birth_dates, sequences)
def test_built_numbers_parse_back(region: str, born: datetime.date, sequence: int) -> None:
    parsed = idnumber.parse(build(region, born, sequence), today=TODAY)
    assert parsed.region_code == region
    assert parsed.birth_date == born
    assert parsed.sex == ("M" if sequence % 2 else "F")
    assert len(parsed.number) == 18


@given(valid_numbers.flatmap(lambda number: st.tuples(st.just(number), disguised(number))))
def test_disguised_variants_parse_to_the_same_number(pair: tuple[str, str]) -> None:
    number, variant = pair
    assert idnumber.parse(variant, today=TODAY).number == number


@given(valid_numbers, st.integers(0, 16), st.integers(1, 9))
def test_mod_11_2_detects_every_single_digit_change(number: str, index: int, shift: int) -> None:
    changed17 = _change_digit(number[:17], index, shift)
    assert idnumber.check_character(changed17) != number[17]


@given(valid_numbers, st.sampled_from([0, 1, 2, 3, 4, 5, 14, 15, 16]), st.integers(1, 9))
def test_single_digit_change_raises_checksum(number: str, index: int, shift: int) -> None:
    changed = _change_digit(number[:17], index, shift) + number[17]
    assume(not changed.endswith("000"))  # that shape is reported as Excel damage
    with pytest.raises(InvalidIdNumber) as caught:
        idnumber.parse(changed, today=TODAY)
    assert caught.value.code == "checksum"
    assert caught.value.expected == idnumber.check_character(changed[:17])
    assert f"应为 {caught.value.expected}" in caught.value.message_zh


@given(valid_numbers, st.integers(6, 13), st.integers(1, 9))
def test_digit_change_in_birth_date_is_caught_somehow(number: str, index: int, shift: int) -> None:
    changed = _change_digit(number[:17], index, shift) + number[17]
    with pytest.raises(InvalidIdNumber) as caught:
        idnumber.parse(changed, today=TODAY)
    assert caught.value.code in {"birth_date", "checksum", "excel_mangled"}


@given(valid_numbers.flatmap(lambda number: st.tuples(st.just(number), disguised(number))))
def test_mask_keeps_only_the_region(pair: tuple[str, str]) -> None:
    number, variant = pair
    masked = idnumber.mask(variant)
    assert masked == number[:6] + "*" * 12


@given(
    regions,
    st.dates(min_value=datetime.date(1900, 1, 1), max_value=datetime.date(1999, 12, 31)),
    sequences,
)
def test_15_to_18_round_trip(region: str, born: datetime.date, sequence: int) -> None:
    number15 = f"{region}{born:%y%m%d}{sequence:03d}"
    number18 = idnumber.to_18(number15)
    assert number18 == build(region, born, sequence)
    assert idnumber.parse(number15) == idnumber.parse(number18)
    assert idnumber.mask(number15) == number15[:6] + "*" * 9


def _change_digit(first17: str, index: int, shift: int) -> str:
    new_digit = str((int(first17[index]) + shift) % 10)
    return first17[:index] + new_digit + first17[index + 1 :]
