"""Reading the files of a load directory into columns of Python strings.

Each kind is one file, `NAME.csv`, `NAME.parquet` (or `NAME.xlsx`). UTF-8 CSV is read by
pyarrow (multi-threaded, about 1 s for a million rows); anything pyarrow cannot read with
certain line numbers (GB18030, blank lines, line breaks inside quoted cells, ragged rows) goes
through :func:`renkou.lib.formats.read_table`, which is slower but exact. Every cell becomes a
stripped `str` ("" for empty or null); Parquet dates become ISO `YYYY-MM-DD` strings, integers
their decimal digits. Line numbers count the header as line 1 (a Parquet row `i` is line
`i + 2`, as if the file were a CSV).
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from renkou.lib.formats import TableError, detect_encoding, read_table
from renkou.lib.inputcheck import (
    MULTILINE_FIELDS,
    RE2_MULTI_LINE,
    RE2_SINGLE_LINE,
    ControlCharacterError,
    check_text,
)

from .common import Rejected
from .report import KINDS, LoadError

__all__ = ["Table", "find_file", "read_directory", "read_kind"]

Progress = Callable[[Iterable[Any], int, str], Iterable[Any]]

_ZIP_MAGIC = b"PK\x03\x04"
_DELIMITERS = (",", "\t", ";")
EXTENSIONS = (".csv", ".parquet", ".xlsx")


@dataclass
class Table:
    """The rows of one file as columns of strings, as Arrow arrays and (on demand) lists."""

    kind: str
    file: str  # the file name, as reported in rejected.csv
    arrays: dict[str, Any]  # name → pyarrow StringArray without nulls
    rows: int
    lines: list[int] | None = None  # None: row i is on line i + 2
    reader: str = "pyarrow"
    # Rows refused whatever their values say (index → the problem): a row with more or
    # fewer fields than the header, a cell holding a control character. Every kind's check
    # treats them as failing (`clean`), and `LoadState.row_cells` raises the problem.
    problems: dict[int, Rejected] = field(default_factory=dict)
    _lists: dict[str, list[str]] = field(default_factory=dict, repr=False)

    @property
    def clean(self) -> np.ndarray:
        """True for each row without a problem of its own."""
        mask = np.ones(self.rows, dtype=bool)
        if self.problems:
            mask[list(self.problems)] = False
        return mask

    @property
    def columns(self) -> dict[str, Any]:
        return self.arrays

    def line(self, index: int) -> int:
        return self.lines[index] if self.lines is not None else index + 2

    def has(self, name: str) -> bool:
        return name in self.arrays

    def array(self, name: str) -> Any:
        """The column as a pyarrow string array ("" for every row if the file lacks it)."""
        import pyarrow as pa
        import pyarrow.compute as pc

        array = self.arrays.get(name)
        if array is None:
            array = pc.fill_null(pa.nulls(self.rows, pa.string()), "")
        return array

    def get(self, name: str) -> list[str]:
        """The column as a list of str ("" for every row if the file lacks it)."""
        column = self._lists.get(name)
        if column is None:
            array = self.arrays.get(name)
            column = array.to_pylist() if array is not None else [""] * self.rows
            self._lists[name] = column
        return column

    def nonblank(self, name: str) -> bool:
        """True if the column exists and has at least one non-empty cell."""
        import pyarrow.compute as pc

        array = self.arrays.get(name)
        return array is not None and len(array) > 0 and pc.max(pc.utf8_length(array)).as_py() > 0


def read_directory(
    directory: Path, required: Mapping[str, Sequence[str]], progress: Progress | None
) -> dict[str, Table]:
    """Every kind's file but the units', read (`required[kind]`: the columns it must have);
    LoadError if one cannot be read or the persons file is missing."""
    kinds = [kind for kind in KINDS if kind != "units"]
    found: dict[str, Path] = {}
    try:
        for kind in kinds:
            path = find_file(directory, kind)
            if path is not None:
                found[kind] = path
    except TableError as error:
        raise LoadError(error.message_zh, error.message_en) from error
    if "persons" not in found:
        raise LoadError(
            f"目录“{directory}”中没有 persons.csv 或 persons.parquet",
            f"the directory '{directory}' has no persons.csv or persons.parquet",
        )
    tables: dict[str, Table] = {}
    items: Iterable[str] = list(found)
    if progress is not None:
        items = progress(list(found), len(found), "读取文件 reading files")
    for kind in items:
        try:
            tables[kind] = read_kind(found[kind], kind, required[kind])
        except TableError as error:
            raise LoadError(error.message_zh, error.message_en) from error
    return tables


def find_file(directory: Path, kind: str) -> Path | None:
    """`kind.csv`, `kind.parquet` or `kind.xlsx` in `directory`; TableError if several."""
    found = [
        directory / f"{kind}{ext}" for ext in EXTENSIONS if (directory / f"{kind}{ext}").is_file()
    ]
    if len(found) > 1:
        names = "、".join(path.name for path in found)
        raise TableError(
            f"目录中有多个“{kind}”文件（{names}），只能有一个",
            f"the directory holds several '{kind}' files ({', '.join(p.name for p in found)}); "
            "keep one",
        )
    return found[0] if found else None


def read_kind(path: Path, kind: str, required: Sequence[str]) -> Table:
    """Read one file of the directory; raises TableError (with the file name) if unusable."""
    try:
        if path.suffix.lower() == ".parquet":
            table = _read_parquet(path, kind)
        else:
            table = _read_text(path, kind)
    except TableError as error:
        raise TableError(
            f"{path.name}：{error.message_zh}", f"{path.name}: {error.message_en}"
        ) from error
    missing = [name for name in required if name not in table.columns]
    if missing:
        raise TableError(
            f"{path.name}：缺少必需的列：{'、'.join(missing)}",
            f"{path.name}: missing required column(s): {', '.join(missing)}",
        )
    _find_control_characters(table)
    return table


def _find_control_characters(table: Table) -> None:
    """Record each row whose cell holds a control character (lib.inputcheck), naming the
    first such column; a row already refused keeps its first problem."""
    import pyarrow.compute as pc

    for name, array in table.arrays.items():
        multiline = name in MULTILINE_FIELDS
        pattern = RE2_MULTI_LINE if multiline else RE2_SINGLE_LINE
        hits = np.flatnonzero(
            pc.fill_null(pc.match_substring_regex(array, pattern), False).to_numpy(
                zero_copy_only=False
            )
        )
        for index in hits.tolist():
            if index in table.problems:
                continue
            try:
                check_text(array[index].as_py(), name, multiline=multiline)
            except ControlCharacterError as error:
                table.problems[index] = Rejected(
                    name, error.code, error.message_zh, error.message_en
                )


def ragged_problem(fields: int, expected: int) -> Rejected:
    return Rejected(
        "(row)",
        "ragged_row",
        f"该行有{fields}个字段，表头有{expected}个：行被截断或多了分隔符，整行未导入",
        f"the row has {fields} fields but the header has {expected}: it is cut short or has "
        "a separator too many; the row was not loaded",
    )


# --------------------------------------------------------------------------- text / XLSX


def _read_text(path: Path, kind: str) -> Table:
    data = path.read_bytes()
    if data.startswith(_ZIP_MAGIC):
        return _read_slow(path, kind)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        detect_encoding(data)  # raises the UTF-16 error
    # pyarrow checks the UTF-8 itself; GB18030 (or anything odd) fails there and goes the slow
    # way, which detects the encoding.
    fast = _read_pyarrow(data, kind, path.name)
    return fast if fast is not None else _read_slow(path, kind)


def _read_pyarrow(data: bytes, kind: str, name: str) -> Table | None:
    """UTF-8 CSV through pyarrow, or None when line numbers could not be kept exactly."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    first_end = body.find(b"\n")
    try:
        header_line = (body if first_end < 0 else body[:first_end]).decode("utf-8").rstrip("\r")
    except UnicodeDecodeError:
        return None
    if not header_line.strip():
        return None  # a blank first line: read_table finds the header
    delimiter = _sniff_delimiter(header_line)
    headers = next(csv.reader([header_line], delimiter=delimiter))
    headers = [header.strip() for header in headers]
    if not headers or any(not header for header in headers) or len(set(headers)) != len(headers):
        return None  # read_table reports these exactly
    try:
        arrow = pacsv.read_csv(
            pa.py_buffer(body),
            read_options=pacsv.ReadOptions(column_names=headers, skip_rows=1),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types={header: pa.string() for header in headers},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError):
        return None
    physical_lines = body.count(b"\n") + (0 if body.endswith(b"\n") or not body else 1)
    if arrow.num_rows != physical_lines - 1:
        return None  # blank lines or line breaks inside cells
    arrays = {
        header: pc.utf8_trim_whitespace(arrow.column(header).combine_chunks()) for header in headers
    }
    return Table(kind=kind, file=name, arrays=arrays, rows=arrow.num_rows, reader="pyarrow")


def _sniff_delimiter(header_line: str) -> str:
    counts = {delimiter: header_line.count(delimiter) for delimiter in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


def _read_slow(path: Path, kind: str) -> Table:
    """GB18030, XLSX and irregular CSV through the shared reader (exact line numbers)."""
    rows = read_table(os.fspath(path), ragged=True)
    lines: list[int] = []
    columns: dict[str, list[str]] = {}
    problems: dict[int, Rejected] = {}
    count = 0
    for row in rows:
        if not columns:
            columns = {header: [] for header in row.values}
        for header, column in columns.items():
            column.append(row.values.get(header, "").strip())
        if row.ragged:
            problems[count] = ragged_problem(row.fields or 0, row.expected or 0)
        lines.append(row.line)
        count += 1
    if not columns:
        columns = {header: [] for header in _header_only(path)}
    import pyarrow as pa

    table = Table(
        kind=kind,
        file=path.name,
        arrays={name: pa.array(values, pa.string()) for name, values in columns.items()},
        rows=count,
        lines=lines,
        reader="read_table",
        problems=problems,
    )
    table._lists.update(columns)
    return table


def _header_only(path: Path) -> list[str]:
    """The header of a file without data rows (read_table yields no row to take it from)."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(65536)
        if data.startswith(_ZIP_MAGIC):
            return []
        text = data.decode(detect_encoding(data), errors="replace").lstrip("\ufeff")
    except TableError:
        return []
    for line in text.splitlines():
        if line.strip():
            delimiter = _sniff_delimiter(line)
            return [cell.strip() for cell in line.split(delimiter)]
    return []


# --------------------------------------------------------------------------- Parquet


def _read_parquet(path: Path, kind: str) -> Table:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    try:
        arrow = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as error:
        raise TableError(
            f"无法读取 Parquet 文件：{error}", f"cannot read the Parquet file: {error}"
        ) from error
    arrays: dict[str, Any] = {}
    for name in arrow.column_names:
        column = arrow.column(name)
        kind_of = column.type
        if pa.types.is_dictionary(kind_of):
            column = column.cast(kind_of.value_type)
            kind_of = column.type
        if pa.types.is_date(kind_of) or pa.types.is_timestamp(kind_of):
            column = pc.strftime(column, format="%Y-%m-%d")
        elif pa.types.is_floating(kind_of):
            # An integer stored as float (pandas does that to columns with nulls).
            column = pc.cast(column, pa.string())
            column = pc.replace_substring_regex(column, pattern=r"\.0$", replacement="")
        elif not pa.types.is_string(kind_of):
            column = pc.cast(column, pa.string())
        column = pc.utf8_trim_whitespace(pc.fill_null(column, ""))
        arrays[name.strip()] = column.combine_chunks()
    return Table(kind=kind, file=path.name, arrays=arrays, rows=arrow.num_rows, reader="parquet")
