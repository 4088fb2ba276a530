"""`renkou indicators` on DuckDB: formats, levels, the unit option, errors."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from renkou.analytics.actions import make_snapshot


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("indicators", *args, stdout=out)
    return out.getvalue()


def test_json_csv_and_table(known):
    snap = ["--snapshot", str(known.snapshot)]
    rows = json.loads(run("--period", "2024", "--format", "json", *snap))
    births = {r["unit_name"]: r["value"] for r in rows if r["indicator"] == "births"}
    assert births == {"东城街道": 4.0, "青山镇": 1.0}
    csv = run("--period", "2024", "--level", "district", "--format", "csv", *snap)
    assert "total_fertility_rate,district,510199000000,锦城区,2024,,5.0,6.0,22.5" in csv
    table = run("--period", "2024", "--indicator", "deaths", *snap)
    assert "东城街道" in table and "青山镇" not in table  # no deaths in 青山镇


def test_unit_option_drills_down(known):
    rows = json.loads(run(
        "--period", "2024", "--level", "group", "--unit", "510199001000", "--indicator",
        "population", "--format", "json", "--snapshot", str(known.snapshot),
    ))  # fmt: skip
    assert {r["unit"]: r["value"] for r in rows} == {"510199001001001": 13, "510199001001002": 1}


def test_xlsx_has_chinese_headers(known, tmp_path):
    target = tmp_path / "out.xlsx"
    run("--period", "2024", "--format", "xlsx", "--output", str(target),
        "--snapshot", str(known.snapshot))  # fmt: skip
    sheet = load_workbook(target).active
    header = [cell.value for cell in sheet[1]]
    assert header[:5] == ["指标代码", "层级", "单位代码", "单位", "期间"]
    assert "95%置信区间下限" in header
    assert sheet.max_row > 40


def test_latest_snapshot_is_the_default(known, tmp_path, settings):
    settings.DATA_DIR = tmp_path
    with pytest.raises(CommandError, match="snapshot"):
        run("--period", "2024")
    make_snapshot(actor=None, out=tmp_path / "s1")
    rows = json.loads(run("--period", "2024", "--indicator", "births", "--format", "json"))
    assert len(rows) == 2


def test_bad_period_and_snapshot(known, tmp_path):
    with pytest.raises(CommandError):
        run("--period", "2024Q9", "--snapshot", str(known.snapshot))
    with pytest.raises(CommandError):
        run("--period", "2024", "--snapshot", str(tmp_path))
