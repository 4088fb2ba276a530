"""Chinese resident identity numbers (公民身份号码), GB 11643-1999.

An 18-character number is laid out as::

    110105 19491231 002 X
    ││││││ ││││││││ │││ └ check character (ISO 7064 MOD 11-2, 0-9 or X)
    ││││││ ││││││││ └┴┴── sequence code; its last digit is odd for men, even for women
    ││││││ └┴┴┴┴┴┴┴────── birth date YYYYMMDD
    └┴┴┴┴┴─────────────── administrative region code (GB/T 2260) at first registration

The check character is ``"10X98765432"[sum(d_i * w_i) % 11]`` with weights
7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2; MOD 11-2 detects every single-digit error and every
transposition of adjacent digits.

Numbers issued before 1999 have 15 digits: a two-digit year (always 19xx) and no check
character.  They are still found in old paper records and are converted to 18 characters by
:func:`to_18`.

Spreadsheets are the main source of corrupted numbers: Excel stores numbers with 15
significant digits, so an 18-digit number typed into a General-format cell becomes
``1.10105E+17`` or loses its last three digits to ``000``.  Those are reported with their own
error code so the user is told to re-export the column as text rather than to "fix a typo".
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from renkou.lib.text import normalise_digits, remove_whitespace

__all__ = [
    "IdNumber",
    "CHECK_CHARACTERS",
    "WEIGHTS",
    "InvalidIdNumber",
    "check_character",
    "is_valid",
    "mask",
    "parse",
    "to_18",
]

# The one copy of the check's weights and characters; vectorised checks (the bulk loader, the
# simulator) read these rather than keep their own.
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARACTERS = "10X98765432"
EARLIEST_BIRTH_DATE = datetime.date(1850, 1, 1)

_ASCII_DIGITS = frozenset("0123456789")
_SCIENTIFIC = re.compile(r"[0-9]+(?:\.[0-9]*)?E[+-]?[0-9]+")
_FLOAT_RENDERING = re.compile(r"([0-9]+)\.0+")


class InvalidIdNumber(ValueError):
    """An ID number that cannot be accepted; ``code`` says why, messages say it to people.

    ``code`` is one of ``"length"``, ``"characters"``, ``"birth_date"``, ``"checksum"`` or
    ``"excel_mangled"``.  ``expected`` is the correct check character for ``"checksum"``
    errors and ``None`` otherwise.
    """

    def __init__(
        self, code: str, message_zh: str, message_en: str, expected: str | None = None
    ) -> None:
        self.code = code
        self.message_zh = message_zh
        self.message_en = message_en
        self.expected = expected
        super().__init__(f"{message_zh} / {message_en}")


@dataclass(frozen=True)
class IdNumber:
    """A validated, normalised 18-character ID number and the facts encoded in it."""

    number: str
    region_code: str
    birth_date: datetime.date
    sex: str

    def __str__(self) -> str:
        return self.number

    @property
    def masked(self) -> str:
        return mask(self.number)


def check_character(first17: str) -> str:
    """Return the ISO 7064 MOD 11-2 check character for 17 ASCII digits."""
    if len(first17) != 17 or not _is_ascii_digits(first17):
        raise ValueError(f"check_character needs exactly 17 ASCII digits, got {first17!r}")
    total = sum(int(digit) * weight for digit, weight in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARACTERS[total % 11]


def to_18(number15: str) -> str:
    """Convert a 15-digit (pre-1999) number to 18 characters: add "19" and a check character.

    This is a mechanical conversion; use :func:`parse` to also validate the birth date.
    """
    number = _clean(number15)
    _check_characters(number)
    if len(number) != 15:
        raise _length_error(len(number))
    first17 = number[:6] + "19" + number[6:]
    return first17 + check_character(first17)


def parse(text: str, *, today: datetime.date | None = None) -> IdNumber:
    """Validate and normalise an ID number typed by a person or read from a spreadsheet.

    Full-width characters, lower-case ``x``, any whitespace and 15-digit numbers are accepted.
    ``today`` bounds the birth date (defaults to the current date; injectable for tests).
    Raises :class:`InvalidIdNumber`.
    """
    number = _clean(text)
    float_match = _FLOAT_RENDERING.fullmatch(number)
    if float_match:
        return _parse_float_rendering(float_match.group(1), today)
    _check_excel_mangled(number)
    _check_characters(number)
    if len(number) not in (15, 18):
        raise _length_error(len(number))
    if len(number) == 15:
        if number.endswith("X"):
            raise InvalidIdNumber(
                "characters",
                "15位旧号码不能含有 X",
                "a 15-digit (old) ID number cannot contain X",
            )
        _check_birth_date("19" + number[6:12], today)
        number = to_18(number)
    else:
        _check_birth_date(number[6:14], today)
        _check_checksum(number)
    return _build(number)


def is_valid(text: str, *, today: datetime.date | None = None) -> bool:
    """True if :func:`parse` would accept ``text``."""
    try:
        parse(text, today=today)
    except InvalidIdNumber:
        return False
    return True


def mask(number: str) -> str:
    """Keep only the region code: ``110105************``.

    The birth date, the sequence (whose last digit gives the sex) and the check character
    are all hidden, so the mask tells nothing the person's registration region does not
    already tell (docs/privacy.md): next to an exact birth date, even the last four would
    leave about ten possible numbers. 15-digit numbers keep their 6-digit region the same
    way; anything else is starred throughout.
    """
    cleaned = _clean(number)
    if len(cleaned) in (15, 18):
        return cleaned[:6] + "*" * (len(cleaned) - 6)
    return "*" * len(cleaned)


def _clean(text: str) -> str:
    return remove_whitespace(normalise_digits(text)).upper()


def _is_ascii_digits(text: str) -> bool:
    # str.isdigit() would also accept "²" and Arabic-Indic digits.
    return all(char in _ASCII_DIGITS for char in text)


def _build(number: str) -> IdNumber:
    return IdNumber(
        number=number,
        region_code=number[:6],
        birth_date=datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14])),
        sex="M" if int(number[16]) % 2 else "F",
    )


def _parse_float_rendering(digits: str, today: datetime.date | None) -> IdNumber:
    # "110105194912310021.0" is how a float cell is printed; it is fine when the digits are
    # intact (15-digit numbers survive), but an 18-digit float has lost precision.
    try:
        return parse(digits, today=today)
    except InvalidIdNumber:
        raise _excel_error() from None


def _check_excel_mangled(number: str) -> None:
    if _SCIENTIFIC.fullmatch(number):
        raise _excel_error()
    zero_filled = len(number) == 18 and _is_ascii_digits(number) and number.endswith("000")
    if zero_filled and check_character(number[:17]) != "0":
        raise _excel_error()


def _excel_error() -> InvalidIdNumber:
    return InvalidIdNumber(
        "excel_mangled",
        "身份证号码已被 Excel 按数字处理（科学计数法或末尾变成000），"
        "请把该列设置为“文本”格式后重新录入或导出",
        "the ID number was turned into a number by Excel (scientific notation or trailing "
        "digits replaced by 000); format the column as Text and re-enter or re-export it",
    )


def _check_characters(number: str) -> None:
    body = number[:-1] if number.endswith("X") else number
    for char in body:
        if char not in _ASCII_DIGITS:
            raise InvalidIdNumber(
                "characters",
                f"身份证号码含有非法字符“{char}”：只能是数字，最后一位可以是 X",
                f"the ID number contains an invalid character '{char}': only digits are "
                "allowed, and X as the last character",
            )


def _length_error(length: int) -> InvalidIdNumber:
    return InvalidIdNumber(
        "length",
        f"身份证号码应为18位（旧号码为15位），实际为{length}位",
        f"an ID number must have 18 characters (15 for old numbers), got {length}",
    )


def _check_birth_date(yyyymmdd: str, today: datetime.date | None) -> None:
    today = today or datetime.date.today()
    try:
        born = datetime.date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:]))
    except ValueError:
        raise _birth_date_error(yyyymmdd, "不是有效日期", "is not a real date") from None
    if born > today:
        raise _birth_date_error(yyyymmdd, "晚于今天", "is in the future")
    if born < EARLIEST_BIRTH_DATE:
        raise _birth_date_error(yyyymmdd, "早于1850年", "is before 1850")


def _birth_date_error(yyyymmdd: str, reason_zh: str, reason_en: str) -> InvalidIdNumber:
    return InvalidIdNumber(
        "birth_date",
        f"身份证号码中的出生日期 {yyyymmdd} {reason_zh}",
        f"the birth date {yyyymmdd} in the ID number {reason_en}",
    )


def _check_checksum(number: str) -> None:
    expected = check_character(number[:17])
    if number[17] != expected:
        raise InvalidIdNumber(
            "checksum",
            f"校验码错误：应为 {expected}",
            f"wrong check character: expected {expected}",
            expected=expected,
        )
