"""Dates and tables as they arrive from street offices: the shared input layer of importers.

* :func:`parse_date` reads the date spellings found in registry spreadsheets.
* :func:`read_table` streams rows from CSV/TSV (UTF-8, UTF-8 with BOM or GB18030, as saved by
  WPS and Chinese-locale Excel) or XLSX, detecting the format from the bytes, not the name;
  another encoding (Big5, Shift-JIS, …, found by charset-normalizer) is refused by name.

Errors carry ``message_zh`` and ``message_en`` so callers can show either; ``str(error)`` is
``"zh / en"``.  No Django imports: usable from the CLI, tasks and tests alike.
"""

from __future__ import annotations

import csv
import datetime
import decimal
import io
import math
import os
import re
import zipfile
from collections.abc import Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from renkou.lib.text import normalise_digits

if TYPE_CHECKING:
    from openpyxl.workbook.workbook import Workbook

__all__ = [
    "InvalidDate",
    "Row",
    "TableError",
    "detect_encoding",
    "normalise_digits",
    "parse_date",
    "read_table",
]


# --------------------------------------------------------------------------- dates


class InvalidDate(ValueError):
    """A date that cannot be read; ``code`` is ``"empty"``, ``"format"`` or ``"value"``."""

    def __init__(self, code: str, message_zh: str, message_en: str, text: str = "") -> None:
        self.code = code
        self.message_zh = message_zh
        self.message_en = message_en
        self.text = text
        super().__init__(f"{message_zh} / {message_en}")


# Separators may be typed in full-width mode too: ２０２４／３／５.
_DATE_PUNCTUATION = str.maketrans({"／": "/", "－": "-", "．": "."})
_SEPARATED = re.compile(r"(?P<y>[0-9]{4})(?P<sep>[-/.])(?P<m>[0-9]{1,2})(?P=sep)(?P<d>[0-9]{1,2})")
_COMPACT = re.compile(r"(?P<y>[0-9]{4})(?P<m>[0-9]{2})(?P<d>[0-9]{2})")
_CHINESE = re.compile(
    r"(?P<y>[0-9]{4})\s*年\s*(?P<m>[0-9]{1,2})\s*月\s*(?P<d>[0-9]{1,2})\s*[日号]?"
)
_SUPPORTED_ZH = "2024-03-05、20240305、2024/3/5、2024.3.5、2024年3月5日"
_SUPPORTED_EN = "2024-03-05, 20240305, 2024/3/5, 2024.3.5 or 2024年3月5日"


def parse_date(value: str | datetime.date | None) -> datetime.date:
    """Read a date typed in any of the usual Chinese spreadsheet spellings.

    Accepts ``2024-03-05``, ``2024-3-5``, ``20240305``, ``2024/3/5``, ``2024.3.5``,
    ``2024年3月5日`` (full-width digits and surrounding spaces allowed) and ``date`` /
    ``datetime`` objects as produced by openpyxl.  Numbers are refused: a bare number in a
    date column is an Excel serial or a typo, and guessing would silently store wrong dates.
    """
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, bool | int | float | decimal.Decimal):
        raise _number_error(value)
    if value is None or not value.strip():
        raise InvalidDate("empty", "日期为空", "the date is empty")
    text = value.strip()
    year, month, day = _split_date(text)
    return _build_date(text, year, month, day)


def _split_date(text: str) -> tuple[int, int, int]:
    normalised = normalise_digits(text).translate(_DATE_PUNCTUATION).strip()
    for pattern in (_SEPARATED, _COMPACT, _CHINESE):
        match = pattern.fullmatch(normalised)
        if match:
            return int(match["y"]), int(match["m"]), int(match["d"])
    raise _date_error("format", text, f"支持的格式有 {_SUPPORTED_ZH}", f"use {_SUPPORTED_EN}")


def _build_date(text: str, year: int, month: int, day: int) -> datetime.date:
    if year < 1:
        raise _date_error("value", text, "年份不能为0", "year must be 1 or later")
    if not 1 <= month <= 12:
        raise _date_error("value", text, "月份应为1–12", "month must be 1–12")
    last_day = _days_in_month(year, month)
    if not 1 <= day <= last_day:
        raise _date_error(
            "value",
            text,
            f"{year}年{month}月的日期应为1–{last_day}",
            f"day must be 1–{last_day} in {year}-{month:02d}",
        )
    return datetime.date(year, month, day)


def _days_in_month(year: int, month: int) -> int:
    if month == 12:
        return 31
    return (datetime.date(year, month + 1, 1) - datetime.timedelta(days=1)).day


def _date_error(code: str, text: str, reason_zh: str, reason_en: str) -> InvalidDate:
    return InvalidDate(
        code,
        f"无法识别的日期“{text}”：{reason_zh}",
        f"unrecognised date '{text}': {reason_en}",
        text=text,
    )


def _number_error(value: object) -> InvalidDate:
    return InvalidDate(
        "format",
        f"日期不能是数字 {value}（可能是 Excel 日期序号）：请把单元格设为日期或文本格式",
        f"a date cannot be the number {value} (probably an Excel serial number): "
        "format the cell as a date or as text",
        text=str(value),
    )


# --------------------------------------------------------------------------- tables


class TableError(ValueError):
    """A file that cannot be read as a table, or whose header is unusable."""

    def __init__(self, message_zh: str, message_en: str) -> None:
        self.message_zh = message_zh
        self.message_en = message_en
        super().__init__(f"{message_zh} / {message_en}")


@dataclass(frozen=True)
class Row:
    """One non-blank data row.  ``line`` is the 1-based line (CSV) or row (XLSX) number in the
    file, the header being line 1, so error reports can point at what the user sees."""

    line: int
    values: dict[str, str]
    # With read_table(..., ragged=True): the number of fields of a CSV record and of the
    # header, when they differ (a row cut short or with a separator too many); else None.
    # XLSX rows never count as ragged (Excel leaves out trailing empty cells).
    fields: int | None = None
    expected: int | None = None

    @property
    def ragged(self) -> bool:
        return self.fields is not None


_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # legacy .xls / .doc
_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_DELIMITERS = (",", "\t", ";")

# Generators rather than iterators: read_table must be able to close() them early.
_RawRows = Generator[tuple[int, list[str]], None, None]


# Encodings charset-normalizer chooses among for bytes that are not UTF-8: the Chinese ones
# we accept and the East Asian ones a file from elsewhere may be in (single-byte Western
# encodings cannot hold Chinese text: such a file is refused as unknown).
_CANDIDATES = ("gb18030", "big5", "cp950", "shift_jis", "cp932", "euc_jp", "euc_kr", "cp949")
_GB_FAMILY = frozenset({"gb18030", "gbk", "gb2312", "cp936", "hz"})
_ENCODING_LABELS: dict[str, tuple[str, str]] = {
    "big5": ("Big5（繁体中文）", "Big5 (Traditional Chinese)"),
    "cp950": ("Big5（繁体中文）", "Big5 (Traditional Chinese)"),
    "big5hkscs": ("Big5-HKSCS（繁体中文）", "Big5-HKSCS (Traditional Chinese)"),
    "shift_jis": ("Shift-JIS（日文）", "Shift-JIS (Japanese)"),
    "cp932": ("Shift-JIS（日文）", "Shift-JIS (Japanese)"),
    "euc_jp": ("EUC-JP（日文）", "EUC-JP (Japanese)"),
    "euc_kr": ("EUC-KR（韩文）", "EUC-KR (Korean)"),
    "cp949": ("EUC-KR（韩文）", "EUC-KR (Korean)"),
}


def detect_encoding(data: bytes) -> str:
    """Return ``"utf-8-sig"``, ``"utf-8"`` or ``"gb18030"`` for the bytes of a text table, or
    raise :class:`TableError` naming the encoding found and how to convert the file.

    UTF-8 is tried strictly first: valid GB18030 text almost never decodes as UTF-8. Anything
    else goes to charset-normalizer, among the East Asian encodings: GB18030 decodes nearly
    any byte pair, so a Big5 or Shift-JIS file would otherwise be read as GB18030 and load as
    garbled names. A file is read as GB18030 (GBK and GB2312 are subsets) only when that is
    the detector's best guess; another guess, or none, refuses the file.
    """
    if data.startswith(_UTF8_BOM):
        return "utf-8-sig"
    if data.startswith(_UTF16_BOMS):
        raise TableError(
            "不支持 UTF-16 编码的文本文件，请另存为 CSV（UTF-8）或 XLSX",
            "UTF-16 text files are not supported; save as CSV (UTF-8) or XLSX",
        )
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return "utf-8"
    found = _detected(data)
    if found in _GB_FAMILY:
        try:
            data.decode("gb18030")
        except UnicodeDecodeError:
            pass
        else:
            return "gb18030"
    if found is None or found in _GB_FAMILY:
        raise TableError(
            "无法确定文件编码（既不是 UTF-8 也不像 GB18030）；请另存为 UTF-8 或 GB18030 后重新导入",
            "cannot tell the file's encoding (neither UTF-8 nor, with certainty, GB18030); "
            "save it as UTF-8 or GB18030 and import it again",
        )
    label_zh, label_en = _ENCODING_LABELS.get(found, (found, found))
    raise TableError(
        f"文件编码似为 {label_zh}；请另存为 UTF-8 或 GB18030 后重新导入"
        "（如在 Excel 中“另存为 → CSV UTF-8”，或用记事本“另存为”选 UTF-8）",
        f"the file's encoding appears to be {label_en}; save it as UTF-8 or GB18030 and "
        "import it again (in Excel: Save As → CSV UTF-8)",
    )


def _detected(data: bytes) -> str | None:
    """The encoding of `data` among _CANDIDATES (a normalised codec name), or None if none
    decodes it plausibly. GB18030 wins ties: on a short file several encodings decode the
    bytes equally cleanly, and a mainland department's non-UTF-8 file is GB18030; another
    encoding is named only when it reads the bytes with strictly less chaos."""
    import codecs

    from charset_normalizer import from_bytes

    chaos: dict[str, float] = {}
    for match in from_bytes(data, cp_isolation=list(_CANDIDATES)):
        name = codecs.lookup(match.encoding).name.replace("-", "_")
        chaos[name] = min(chaos.get(name, 1.0), match.chaos)
    if not chaos:
        return None
    gb = min((chaos[name] for name in chaos if name in _GB_FAMILY), default=None)
    other = min((name for name in chaos if name not in _GB_FAMILY), key=chaos.get, default=None)
    if gb is not None and (other is None or gb <= chaos[other]):
        return "gb18030"
    return other


def read_table(
    path: str | os.PathLike[str], required: Sequence[str] = (), *, ragged: bool = False
) -> Iterator[Row]:
    """Stream the data rows of a CSV/TSV or XLSX file as :class:`Row` objects.

    The header (first non-blank row) is checked before this returns, so a missing required
    column, a duplicate or an empty header raises :class:`TableError` straight away; later
    problems (a value beyond the last header) are raised while iterating.  Blank rows are
    skipped.  XLSX is read in openpyxl's read-only mode, one row at a time.

    ``ragged=True``: a CSV record with fewer or more fields than the header is yielded with
    ``Row.fields`` / ``Row.expected`` set (its values padded or cut), for the caller to reject
    that row by its line; by default a short row is padded and a value beyond the last
    header raises :class:`TableError`.
    """
    raw = _raw_rows(path)
    try:
        _, header = _first_non_blank(raw)
        headers = _check_headers(header)
        _check_required(headers, required)
    except BaseException:
        raw.close()
        raise
    text = not _is_zip(path)
    return _data_rows(raw, headers, len(header) if (ragged and text) else None)


def _is_zip(path: str | os.PathLike[str]) -> bool:
    with open(path, "rb") as handle:
        return handle.read(4) == _ZIP_MAGIC


def _raw_rows(path: str | os.PathLike[str]) -> _RawRows:
    with open(path, "rb") as handle:
        magic = handle.read(4)
    if magic == _ZIP_MAGIC:
        return _xlsx_rows(path)
    if magic == _OLE_MAGIC:
        raise TableError(
            "不支持旧版 Excel（.xls）文件，请另存为 .xlsx 或 CSV",
            "legacy Excel (.xls) files are not supported; save as .xlsx or CSV",
        )
    with open(path, "rb") as handle:
        data = handle.read()
    return _text_rows(data.decode(detect_encoding(data)))


def _first_non_blank(raw: _RawRows) -> tuple[int, list[str]]:
    for line, cells in raw:
        if any(cells):
            return line, cells
    raise TableError("文件是空的：没有表头", "the file is empty: no header row")


def _check_headers(cells: list[str]) -> list[str]:
    headers = [cell.replace("\ufeff", "").strip() for cell in cells]
    # Spreadsheets often carry formatted but empty columns after the real ones.
    while headers and not headers[-1]:
        headers.pop()
    seen: dict[str, int] = {}
    for column, name in enumerate(headers, start=1):
        if not name:
            raise TableError(f"第{column}列的表头为空", f"column {column} has an empty header")
        if name in seen:
            raise TableError(
                f"表头“{name}”重复（第{seen[name]}列和第{column}列）",
                f"duplicate header '{name}' (columns {seen[name]} and {column})",
            )
        seen[name] = column
    return headers


def _check_required(headers: list[str], required: Sequence[str]) -> None:
    missing = [name for name in required if name not in headers]
    if missing:
        raise TableError(
            f"缺少必需的列：{'、'.join(missing)}",
            f"missing required column(s): {', '.join(missing)}",
        )


def _data_rows(raw: _RawRows, headers: list[str], width: int | None = None) -> Iterator[Row]:
    try:
        for line, cells in raw:
            if not any(cells):
                continue
            if width is not None and len(cells) != width:
                padded = (cells + [""] * len(headers))[: len(headers)]
                values = dict(zip(headers, padded, strict=True))
                yield Row(line=line, values=values, fields=len(cells), expected=width)
                continue
            yield Row(line=line, values=_row_values(line, cells, headers))
    finally:
        # Closes the XLSX archive even if the caller stops iterating early.
        raw.close()


def _row_values(line: int, cells: list[str], headers: list[str]) -> dict[str, str]:
    for column in range(len(headers), len(cells)):
        if cells[column]:
            raise TableError(
                f"第{line}行第{column + 1}列有数据但没有表头",
                f"line {line}, column {column + 1} has a value but no header",
            )
    padded = cells + [""] * (len(headers) - len(cells))
    return dict(zip(headers, padded, strict=False))


# --------------------------------------------------------------------------- text files


def _text_rows(text: str) -> _RawRows:
    delimiter = _sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    while True:
        # A quoted cell may span several physical lines; report where the record starts.
        line = reader.line_num + 1
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise TableError(
                f"第{line}行无法解析：{error}", f"line {line} cannot be parsed: {error}"
            ) from error
        yield line, [cell.strip() for cell in record]


def _sniff_delimiter(text: str) -> str:
    header_line = next((line for line in text.splitlines() if line.strip()), "")
    counts = {delimiter: header_line.count(delimiter) for delimiter in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


# --------------------------------------------------------------------------- XLSX


def _xlsx_rows(path: str | os.PathLike[str]) -> _RawRows:
    # Imported lazily: text-only callers should not pay for openpyxl's import time.
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    # A file object, not the path: openpyxl refuses names not ending in .xlsx, and uploads
    # are often saved under temporary names or as ".csv".
    with open(path, "rb") as handle:
        try:
            workbook = load_workbook(handle, read_only=True, data_only=True)
        except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as error:
            raise TableError(
                "文件以 ZIP 开头但不是有效的 XLSX 工作簿",
                f"the file starts like a ZIP archive but is not a valid XLSX workbook ({error})",
            ) from error
        try:
            yield from _sheet_rows(workbook)
        finally:
            workbook.close()


def _sheet_rows(workbook: Workbook) -> _RawRows:
    if not workbook.worksheets:
        return
    sheet = workbook.worksheets[0]
    # Some writers store a wrong <dimension>; trusting it would silently drop rows.
    sheet.reset_dimensions()
    for line, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        yield line, _cells(values)


def _render_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, float):
        return _render_float(value)
    return str(value).strip()


def _render_float(value: float) -> str:
    # Excel keeps 15 significant digits; rendering the same way shows what the user saw and
    # makes an 18-digit ID stored as a number end in "000", which idnumber reports as
    # Excel damage.  int() would instead invent digits (1.1010519491231e17 -> ...310016).
    if not math.isfinite(value):
        return repr(value)
    number = decimal.Decimal(format(value, ".15g"))
    if number == number.to_integral_value():
        number = number.to_integral_value()
    return f"{number:f}"


def _cells(values: Iterable[Any]) -> list[str]:
    return [_render_cell(value) for value in values]
