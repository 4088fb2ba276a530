"""The printable certificate (生育服务登记证 / 再生育审批决定书) as PDF: reportlab with the
built-in CID font STSong-Light (no font file), a QR code (segno) drawn as vector squares
pointing to the public verification page. Page compression is off, so the registration
number can be found in the content stream (and tests can read it)."""

from __future__ import annotations

import io

import segno
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from renkou.births import rules
from renkou.births.models import BirthApplication
from renkou.lib.masking import mask_id_number

FONT = "STSong-Light"
LATIN = "Helvetica"
TITLES = {
    rules.REGISTRATION: "生育服务登记证",
    rules.APPROVAL: "再生育审批决定书",
}
ORDER_WORDS = {1: "一", 2: "二", 3: "三", 4: "四", 5: "五", 6: "六"}


def _font() -> str:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def _draw_qr(pdf: canvas.Canvas, text: str, x: float, y: float, size: float) -> None:
    qr = segno.make(text, error="m")
    matrix = [list(row) for row in qr.matrix]
    cell = size / (len(matrix) + 8)  # 4 cells of quiet zone on each side
    pdf.setFillColorRGB(0, 0, 0)
    for r, row in enumerate(matrix):
        for c, dark in enumerate(row):
            if dark:
                pdf.rect(x + (c + 4) * cell, y + size - (r + 5) * cell, cell, cell, 0, 1)


def _lines(application: BirthApplication) -> list[tuple[str, str]]:
    order = ORDER_WORDS.get(application.child_order, str(application.child_order))
    rows = []
    if application.husband is not None:
        rows.append(("男方", application.husband.name))
        rows.append(("男方身份证号", mask_id_number(application.husband.id_number)))
    rows.append(("女方", application.wife.name))
    rows.append(("女方身份证号", mask_id_number(application.wife.id_number)))
    rows.append(("登记孩次", f"第{order}个子女"))
    if application.expected_birth_date:
        rows.append(("预产期", application.expected_birth_date.isoformat()))
    rows.append(("登记日期", application.issued_on.isoformat() if application.issued_on else ""))
    rows.append(("发证单位", application.issuing_unit.name if application.issuing_unit else ""))
    rows.append(("验证码", application.verification_code or ""))
    return rows


def render_pdf(application: BirthApplication, verify_url: str) -> bytes:
    font = _font()
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, pageCompression=0, invariant=1)
    pdf.setTitle(f"{TITLES[application.procedure]} {application.registration_number}")
    width, height = A4
    pdf.setFont(font, 24)
    pdf.drawCentredString(width / 2, height - 40 * mm, TITLES[application.procedure])
    pdf.setFont(font, 12)
    pdf.drawString(width / 2 - 35 * mm, height - 52 * mm, "编号：")
    pdf.setFont(LATIN, 12)
    pdf.drawString(width / 2 - 20 * mm, height - 52 * mm, application.registration_number or "")
    y = height - 72 * mm
    for label, value in _lines(application):
        pdf.setFont(font, 12)
        pdf.drawString(30 * mm, y, f"{label}：")
        # Latin text (numbers, codes) in a standard font: plain bytes in the content stream.
        pdf.setFont(LATIN if value.isascii() else font, 12)
        pdf.drawString(70 * mm, y, value)
        y -= 10 * mm
    if application.state == rules.CANCELLED:
        pdf.setFont(font, 20)
        pdf.drawCentredString(width / 2, y - 5 * mm, "（已注销）")
    _draw_qr(pdf, verify_url, width - 75 * mm, 30 * mm, 45 * mm)
    pdf.setFont(font, 9)
    pdf.drawString(30 * mm, 40 * mm, "扫描二维码或访问以下网址核验本证：")
    pdf.setFont(LATIN, 9)
    pdf.drawString(30 * mm, 34 * mm, verify_url)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
