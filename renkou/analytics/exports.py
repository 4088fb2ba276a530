"""Indicator tables as XLSX with Chinese headers (dashboard downloads and the command)."""

from __future__ import annotations

import io
import math

import pandas as pd

# Column → Chinese header. Headers are fixed Chinese: the files go to Chinese offices.
HEADERS_ZH = {
    "indicator": "指标代码",
    "indicator_name": "指标",
    "level": "层级",
    "unit": "单位代码",
    "unit_name": "单位",
    "period": "期间",
    "dim": "分组",
    "numerator": "分子",
    "denominator": "分母",
    "value": "值",
    "lower": "95%置信区间下限",
    "upper": "95%置信区间上限",
    "change": "较上期变化",
    "previous": "上期值",
}


def to_xlsx(
    frame: pd.DataFrame, *, title: str = "指标", headers: dict[str, str] | None = None
) -> bytes:
    """One sheet; header row in Chinese (unknown columns keep their name), NaN as empty."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from renkou.lib.exportcells import safe_sheet, safe_title

    names = {**HEADERS_ZH, **(headers or {})}
    book = Workbook()
    sheet = safe_sheet(book.active)
    sheet.title = safe_title(title)
    sheet.append([names.get(str(col), str(col)) for col in frame.columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in frame.itertuples(index=False):
        sheet.append([_cell(value) for value in row])
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _cell(value):
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value
