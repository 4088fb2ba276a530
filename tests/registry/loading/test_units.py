"""The units file (`loading.units`)."""

from __future__ import annotations

from renkou.registry.loading.loader import load_directory
from tests.registry.loading.data import (
    PERSON_HEADER,
    by_key,
    d,
    person,
    write_csv,
)


def test_units_csv_is_imported_first(cast, tmp_path):
    directory = tmp_path / "units"
    directory.mkdir()
    write_csv(
        directory / "units.csv",
        ("code", "name", "kind", "parent code"),
        [
            ("510199001001003", "东门社区3栋", "building", "510199001001"),
            ("510199001001001", "东门社区1栋", "building", "510199001001"),
        ],
    )
    write_csv(
        directory / "persons.csv",
        PERSON_HEADER,
        [person("U1", "何一", "F", d(1990, 1, 1), seq=51, residence="510199001001003")],
    )
    report = load_directory(directory)
    assert report.rejected == []
    assert (report.counts["units"].inserted, report.counts["units"].present) == (1, 1)
    assert by_key("U1").unit.code == "510199001001003"
