"""Cells for exported spreadsheets (XLSX and CSV), made safe to open.

Every export writer passes its rows through :func:`safe_row` (or wraps its sheet or CSV
writer with :func:`safe_sheet` / :func:`safe_csv_writer`), so that

* a text cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is
  prefixed with a single quote (the OWASP "CSV injection" rule): a name such as
  ``=HYPERLINK(...)`` is shown as text, never run as a formula. Numbers stay numbers (a real
  ``-5`` is not quoted; only text is);
* characters XML 1.0 cannot hold (C0 controls but tab, line feed and carriage return; lone
  surrogates; U+FFFE/U+FFFF) are replaced by U+FFFD, so data stored before input checking
  (``"张\\u000b三"``) can never make an export fail.

No Django imports.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

__all__ = [
    "FORMULA_STARTS",
    "safe_cell",
    "safe_csv_writer",
    "safe_row",
    "safe_sheet",
    "safe_text",
    "safe_title",
]

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
REPLACEMENT = "\ufffd"
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# A sheet title may not hold these either (Excel's rule, enforced by openpyxl).
_TITLE_FORBIDDEN = re.compile(r"[\\*?:/\[\]]")


def safe_text(text: str) -> str:
    """`text` with XML-illegal characters replaced and a leading formula character quoted."""
    text = _ILLEGAL_XML.sub(REPLACEMENT, text)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def safe_cell(value: Any) -> Any:
    """A cell value as it may be written: text made safe, anything else unchanged."""
    if isinstance(value, str):
        return safe_text(value)
    return value


def safe_row(row: Iterable[Any]) -> list[Any]:
    return [safe_cell(value) for value in row]


def safe_title(title: str, default: str = "Sheet") -> str:
    """A worksheet title Excel accepts: no illegal characters, at most 31 characters."""
    cleaned = _TITLE_FORBIDDEN.sub(" ", _ILLEGAL_XML.sub("", title))
    cleaned = "".join(ch for ch in cleaned if ch.isprintable()).strip()[:31]
    return cleaned or default


class _SafeSheet:
    """An openpyxl worksheet whose `append` writes safe cells; everything else passes."""

    def __init__(self, sheet: Any) -> None:
        self._sheet = sheet

    def append(self, row: Iterable[Any]) -> None:
        self._sheet.append(safe_row(row))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sheet, name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "_sheet":
            object.__setattr__(self, name, value)
        else:
            setattr(self._sheet, name, value)

    def __getitem__(self, key: Any) -> Any:
        return self._sheet[key]


def safe_sheet(sheet: Any) -> Any:
    """Wrap an openpyxl worksheet so every appended row goes through :func:`safe_row`."""
    return _SafeSheet(sheet)


class _SafeWriter:
    def __init__(self, writer: Any) -> None:
        self._writer = writer

    def writerow(self, row: Sequence[Any]) -> Any:
        return self._writer.writerow(safe_row(row))

    def writerows(self, rows: Iterable[Sequence[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def safe_csv_writer(handle: Any, **kwargs: Any) -> Any:
    """`csv.writer(handle, **kwargs)` whose rows go through :func:`safe_row`."""
    import csv

    return _SafeWriter(csv.writer(handle, **kwargs))
