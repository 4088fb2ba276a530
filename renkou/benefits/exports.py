"""Exports in Chinese: the payment roster (发放名册) as XLSX and PDF, the public-posting list
(公示名单) as XLSX. Account and ID numbers are masked; the XLSX is written in openpyxl's
write-only mode, row by row from a values list (a 100k-line roster in a few seconds)."""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from openpyxl import Workbook

from renkou.benefits import xlsx
from renkou.benefits.models import Cycle, Roster, RosterLine
from renkou.lib.disclosure import birth_month
from renkou.lib.exportcells import safe_sheet
from renkou.lib.masking import mask_bank_account, mask_id_number

ROSTER_HEADERS = (
    "序号", "单位", "姓名", "身份证号", "开户银行", "银行账号", "金额（元）", "中央", "省级",
    "县级", "备注",
)  # fmt: skip
LINE_FIELDS = (
    "line_no", "unit__name", "person__name", "person__id_number", "bank_name", "account_no",
    "amount", "central", "provincial", "local", "requeued_from_id", "unit_id",
)  # fmt: skip


def _roster_rows(lines: Iterable[tuple]) -> Iterable[list]:
    for no, unit, name, number, bank, account, amount, c, p, loc, requeued, _u in lines:
        yield [
            no, unit, name, mask_id_number(number), bank, mask_bank_account(account),
            float(amount), float(c), float(p), float(loc), "失败重发" if requeued else "",
        ]  # fmt: skip


def roster_lines(roster: Roster):
    return RosterLine.objects.filter(roster=roster).order_by("line_no").values_list(*LINE_FIELDS)


def roster_xlsx(roster: Roster, lines: Iterable[tuple] | None = None) -> bytes:
    """The roster with a totals sheet by unit and by cost share."""
    title = f"{roster.cycle.programme.name_zh} {roster.cycle.year}年 发放名册 {roster.unit.name}"
    return lines_xlsx(title, roster_lines(roster) if lines is None else lines)


def lines_xlsx(title: str, lines: Iterable[tuple]) -> bytes:
    """The roster sheet, streamed, then the totals by unit and by cost share (汇总), which are
    summed while the roster sheet is written."""
    by_unit: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0)] * 5)

    def roster_rows():
        yield [title]
        yield list(ROSTER_HEADERS)
        for raw in lines:
            totals = by_unit[raw[1]]
            totals[0] += 1
            for index, value in enumerate(raw[6:10], start=1):
                totals[index] += value
            yield next(iter(_roster_rows([raw])))

    def summary_rows():
        yield ["单位", "人数", "金额（元）", "中央", "省级", "县级"]
        grand = [Decimal(0)] * 5
        for unit, totals in sorted(by_unit.items()):
            yield [unit, int(totals[0]), *(float(v) for v in totals[1:])]
            grand = [a + b for a, b in zip(grand, totals, strict=True)]
        yield ["合计", int(grand[0]), *(float(v) for v in grand[1:])]

    return xlsx.write([("发放名册", roster_rows()), ("汇总", summary_rows())])


def posting_xlsx(cycle: Cycle, candidates) -> bytes:
    """The public-posting list (公示名单) with its window."""
    book = Workbook(write_only=True)
    sheet = safe_sheet(book.create_sheet("公示名单"))
    sheet.append([f"{cycle.programme.name_zh} {cycle.year}年 资格确认公示名单"])
    sheet.append([f"公示期：{cycle.posting_from or '—'} 至 {cycle.posting_to or '—'}"])
    # A posting is public: 出生年月 only, whoever prints it (docs/privacy.md).
    sheet.append(["序号", "单位", "姓名", "性别", "出生年月", "类别", "金额（元）"])
    kinds = {"new": "新增", "continuing": "续发", "exit": "退出"}
    for no, c in enumerate(candidates, start=1):
        sheet.append([
            no, c.unit.name, c.person.name, "男" if c.person.sex == "M" else "女",
            birth_month(c.person.birth_date), kinds.get(c.kind, c.kind), float(c.amount),
        ])  # fmt: skip
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def roster_pdf(roster: Roster) -> bytes:
    """The roster as a PDF in Chinese (built-in CID font STSong-Light, no font file)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    style = ParagraphStyle("zh", fontName="STSong-Light", fontSize=14, leading=18)
    rows = [list(ROSTER_HEADERS[:7]) + ["备注"]]
    total = Decimal(0)
    for row in _roster_rows(roster_lines(roster)):
        rows.append([str(v) for v in row[:7]] + [row[10]])
        total += Decimal(str(row[6]))
    rows.append(["合计", "", "", "", "", "", f"{total:.2f}", ""])
    table = Table(rows, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), "STSong-Light"),
                ("FONTSIZE", (0, 0), (-1, -1), 8),
                ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey),
            ]
        )  # fmt: skip
    )
    out = io.BytesIO()
    title = f"{roster.cycle.programme.name_zh} {roster.cycle.year}年 发放名册 {roster.unit.name}"
    doc = SimpleDocTemplate(out, pagesize=landscape(A4), title=title)
    doc.build([Paragraph(title, style), table])
    return out.getvalue()
