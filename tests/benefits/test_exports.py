"""Exports in Chinese: the roster XLSX (masked numbers, totals by unit and by payer), the PDF,
the posting list with its window."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from renkou.benefits import exports
from tests.benefits.world import build_world

pytestmark = pytest.mark.django_db


def test_roster_xlsx(cast):
    world = build_world(cast)
    book = load_workbook(io.BytesIO(exports.roster_xlsx(world.roster)), read_only=True)
    rows = list(book["发放名册"].values)
    assert "发放名册" in rows[0][0] and rows[1][:4] == ("序号", "单位", "姓名", "身份证号")
    data = rows[2:]
    assert [r[2] for r in data] == ["老人甲", "老人乙"]
    account = world.roster.lines.get(line_no=1).account_no
    assert account not in str(data) and data[0][5].endswith(account[-4:]) and "*" in data[0][5]
    assert "*" in data[0][3]
    summary = list(book["汇总"].values)
    assert summary[-1][:3] == ("合计", 2, 1200.0) and summary[-1][5] == 1200.0  # all local


def test_roster_pdf_and_posting_list(cast):
    world = build_world(cast)
    pdf = exports.roster_pdf(world.roster)
    assert pdf.startswith(b"%PDF") and b"STSong-Light" in pdf
    rows = world.cycle.candidates.select_related("person", "unit")
    book = load_workbook(io.BytesIO(exports.posting_xlsx(world.cycle, rows)), read_only=True)
    values = list(book["公示名单"].values)
    assert "2025-01-05" in values[1][0] and "2025-01-12" in values[1][0]
    assert {r[2] for r in values[3:]} == {"老人甲", "老人乙"}


def test_web_exports_are_scoped_to_the_users_units(client, cast):
    from django.urls import reverse

    world = build_world(cast)
    client.force_login(cast.township_staff, backend="renkou.core.backends.RoleBackend")
    response = client.get(reverse("benefits-roster-xlsx", args=[world.roster.pk]))
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    names = [r[2] for r in list(book["发放名册"].values)[2:]]
    assert names == ["老人甲"]  # 老人乙 lives in 青山镇
