"""Issue 13 items 7 and 9 in `units import`: a control character, an over-long name or a row
with more or fewer fields than the header is a rejected row naming the field and line, never
a stored value or a database error (both databases)."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from renkou.core.models import OrgUnit
from renkou.core.unit_import import import_units
from tests.core.test_unit_import import DISTRICT, TOWN, VILLAGE, write_csv


@pytest.mark.parametrize(
    ("name", "field", "word"),
    [
        ("新\x0b村", "name", "U+000B"),
        ("新\x00村", "name", "U+0000"),
        ("新村" * 51, "name", "100"),
    ],
)
def test_a_bad_name_is_a_rejected_row(cast, tmp_path, name, field, word):
    path = write_csv(
        tmp_path / "units.csv",
        [(TOWN, "新镇", "town", DISTRICT), (VILLAGE, name, "village", TOWN)],
    )
    report = import_units(path, partial=True)
    assert [(r.line, r.field) for r in report.rejected] == [(3, field)]
    assert word in report.rejected[0].message_zh and word in report.rejected[0].message_en
    assert OrgUnit.objects.filter(code=TOWN).exists()
    assert not OrgUnit.objects.filter(code=VILLAGE).exists()


def test_the_command_reports_an_over_long_name_without_a_traceback(cast, tmp_path):
    path = write_csv(tmp_path / "units.csv", [(TOWN, "新" * 101, "town", DISTRICT)])
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("units", "import", str(path), stdout=out, stderr=out)
    assert "100" in out.getvalue()
    assert not OrgUnit.objects.filter(code=TOWN).exists()


def test_a_short_row_is_rejected_with_its_line(cast, tmp_path):
    path = tmp_path / "units.csv"
    path.write_text(
        f"code,name,kind,parent code\n{TOWN},新镇,town,{DISTRICT}\n{VILLAGE},新村\n",
        encoding="utf-8",
    )
    report = import_units(path, partial=True)
    assert [(r.line, r.field) for r in report.rejected] == [(3, "(row)")]
