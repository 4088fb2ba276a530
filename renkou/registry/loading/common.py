"""What the kind modules of the bulk loader share: the rejection a check raises, the
vectorised tests over pyarrow string columns (True where a cell passes), dates as ISO strings.

Dates are ISO strings (`YYYY-MM-DD` orders like the date), converted to `datetime.date` only
where a rule in `renkou.registry.rules` needs one — the rules are called for the message
whenever the quick string test finds a problem, so the reasons are the rules' own.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from renkou.lib.formats import InvalidDate, parse_date

CHUNK = 50_000  # rows per progress step while checking

Progress = Callable[[Iterable[Any], int, str], Iterable[Any]]

_WEIGHTS = np.array((7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2), dtype=np.int64)
_CHECK_CODES = np.frombuffer(b"10X98765432", dtype=np.uint8)


class Rejected(Exception):
    def __init__(self, field: str, code: str, message_zh: str, message_en: str) -> None:
        super().__init__(message_en)
        self.field = field
        self.code = code
        self.message_zh = message_zh
        self.message_en = message_en


# --------------------------------------------------------------------------- small helpers


def iso_date(text: str) -> str:
    """An accepted date spelling as ISO `YYYY-MM-DD`; raises InvalidDate."""
    if len(text) == 10 and text[4] == "-" and text[7] == "-":
        try:
            datetime.date.fromisoformat(text)
            return text
        except ValueError:
            pass
    return parse_date(text).isoformat()


def as_date(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


def age_on(birth: str, day: str) -> int:
    """Completed years on `day` (ISO strings), as rules.age_on."""
    years = int(day[:4]) - int(birth[:4])
    return years - 1 if day[5:] < birth[5:] else years


def value_iso(value: Any) -> Any:
    """A date from the database as an ISO string (SQLite and PostgreSQL give date objects)."""
    return value.isoformat() if isinstance(value, datetime.date) else value


def id_checksum_ok(numbers: Any) -> np.ndarray:
    """True where the cell is 17 ASCII digits and the right check character (vectorised over
    the bytes of a pyarrow string array)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not isinstance(numbers, pa.Array):
        numbers = pa.array(list(numbers), pa.string())
    mask = np.zeros(len(numbers), dtype=bool)
    positions = np.flatnonzero(np_bool(pc.equal(pc.binary_length(numbers), 18)))
    if not len(positions):
        return mask
    picked = pc.take(numbers, pa.array(positions))
    offsets = np.frombuffer(picked.buffers()[1], dtype=np.int32)
    first = offsets[picked.offset]
    data = np.frombuffer(picked.buffers()[2], dtype=np.uint8)
    cells = data[first : first + 18 * len(positions)].reshape(-1, 18)
    digits = cells[:, :17] - np.uint8(48)  # wraps around below "0"
    ok = (digits <= 9).all(axis=1)
    expected = _CHECK_CODES[(digits.astype(np.int64) @ _WEIGHTS) % 11]
    ok &= cells[:, 17] == expected
    mask[positions] = ok
    return mask


def np_bool(mask: Any) -> np.ndarray:
    """A pyarrow boolean array as numpy (null counts as False)."""
    import pyarrow.compute as pc

    return pc.fill_null(mask, False).to_numpy(zero_copy_only=False)


def blank(array: Any) -> np.ndarray:
    import pyarrow.compute as pc

    return np_bool(pc.equal(array, ""))


def filled(array: Any) -> np.ndarray:
    return ~blank(array)


def at_most(array: Any, limit: int) -> np.ndarray:
    import pyarrow.compute as pc

    return np_bool(pc.less_equal(pc.utf8_length(array), limit))


def member(array: Any, values: Sequence[str]) -> np.ndarray:
    import pyarrow as pa
    import pyarrow.compute as pc

    return np_bool(pc.is_in(array, value_set=pa.array(list(values), pa.string())))


def iso_dates(array: Any) -> np.ndarray:
    """True where the text is a real date spelled YYYY-MM-DD."""
    import pyarrow.compute as pc

    shaped = np_bool(pc.match_substring_regex(array, r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"))
    parsed = pc.strptime(array, format="%Y-%m-%d", unit="s", error_is_null=True)
    # strptime rolls 2023-02-29 over to 2023-03-01: compare the round trip.
    again = pc.strftime(parsed, format="%Y-%m-%d")
    return shaped & np_bool(pc.equal(again, array))


def day_numbers(array: Any) -> np.ndarray:
    """ISO dates as YYYYMMDD integers (0 where not a date)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    digits = pc.replace_substring(array, "-", "")
    shaped = pc.match_substring_regex(digits, r"^[0-9]{8}$")
    numbers = pc.cast(pc.if_else(shaped, digits, None), pa.int64())
    return pc.fill_null(numbers, 0).to_numpy(zero_copy_only=False)


def index_in(array: Any, values: Sequence[str]) -> np.ndarray:
    """Position of each cell in `values`, -1 where absent."""
    import pyarrow as pa
    import pyarrow.compute as pc

    value_set = values if isinstance(values, pa.Array) else pa.array(list(values), pa.string())
    at = pc.index_in(array, value_set=value_set)
    return pc.fill_null(at, -1).to_numpy(zero_copy_only=False).astype(np.int64)


def ids_at(values: np.ndarray, at: np.ndarray) -> list[int | None]:
    """values[at] as Python ints, None where `at` is -1."""
    import pyarrow as pa

    picked = values[at]
    return pa.array(picked, mask=at < 0).to_pylist()


def if_blank(array: Any, default: str) -> list[str]:
    """The column as a list, `default` where the cell is empty."""
    import pyarrow.compute as pc

    return pc.if_else(pc.equal(array, ""), default, array).to_pylist()


def none_if_blank(array: Any) -> list[str | None]:
    import pyarrow as pa
    import pyarrow.compute as pc

    return pc.if_else(pc.equal(array, ""), pa.scalar(None, pa.string()), array).to_pylist()


def problem_of(error: Any, field_name: str) -> Rejected:
    return Rejected(
        field_name, getattr(error, "code", "invalid"), error.message_zh, error.message_en
    )


def required_problem(column: str) -> Rejected:
    return Rejected(column, "required", f"缺少必填项 {column}", f"{column} is required")


def too_long(column: str, limit: int) -> Rejected:
    return Rejected(
        column,
        "too_long",
        f"{column} 超过{limit}个字符",
        f"{column} is longer than {limit} characters",
    )


def unknown_unit(column: str, code: str) -> Rejected:
    return Rejected(
        column,
        "unknown_unit",
        f"未知的单位代码“{code}”（不是本系统的单位）",
        f"unknown unit code '{code}' (not a unit of this system)",
    )


def duplicate(column: str, value: str, first_line: int) -> Rejected:
    return Rejected(
        column,
        "duplicate",
        f"{column}“{value}”在文件中重复（第{first_line}行已有）",
        f"{column} '{value}' appears more than once in the file (first on line {first_line})",
    )


def death_key(person_key: str) -> str:
    """The source key of the death event the loader creates for `person_key`."""
    key = f"death:{person_key}"
    if len(key) <= 64:
        return key
    return "death:#" + hashlib.sha256(person_key.encode("utf-8")).hexdigest()[:40]


def flags_json(flags: list[str]) -> str:
    return json.dumps(flags) if flags else "[]"


def optional_date(column: str, text: str) -> str | None:
    """An optional date cell as ISO, None when blank; Rejected when not a date."""
    if not text:
        return None
    try:
        return iso_date(text)
    except InvalidDate as error:
        raise problem_of(error, column) from None
