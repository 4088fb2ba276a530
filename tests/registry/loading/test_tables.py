"""Reading the files (`loading.tables`): Parquet, GB18030, blank lines."""

from __future__ import annotations

from renkou.registry.loading.loader import load_directory
from renkou.registry.models import Event, Household, Marriage, ParentChild, Person
from tests.registry.loading.data import (
    BAD_PERSONS,
    PERSONS,
    by_key,
    snapshot,
    write_directory,
    write_parquet,
)


def test_parquet_gives_the_same_result_as_csv(cast, family_dir, tmp_path):
    csv_report = load_directory(family_dir)
    from_csv = snapshot()
    Event.objects.all().delete()
    Marriage.objects.all().delete()
    ParentChild.objects.all().delete()
    Person.objects.all().delete()
    Household.objects.all().delete()
    parquet_dir = write_parquet(tmp_path / "parquet", family_dir)
    parquet_report = load_directory(parquet_dir)
    assert parquet_report.rejected == []
    assert snapshot() == from_csv
    for kind in csv_report.counts:
        assert vars(parquet_report.counts[kind]) == vars(csv_report.counts[kind])


def test_parquet_rejections_name_the_row_as_a_csv_line(cast, mixed_dir, tmp_path):
    csv_rejections = [(r.line, r.key, r.field) for r in load_directory(mixed_dir).rejected]
    Event.objects.all().delete()
    Marriage.objects.all().delete()
    ParentChild.objects.all().delete()
    Person.objects.all().delete()
    Household.objects.all().delete()
    parquet_dir = write_parquet(tmp_path / "parquet", mixed_dir)
    assert [(r.line, r.key, r.field) for r in load_directory(parquet_dir).rejected] == (
        csv_rejections
    )


def test_a_gb18030_csv_is_read(cast, tmp_path):
    directory = write_directory(tmp_path / "gbk", encoding="gb18030")
    assert (directory / "persons.csv").read_bytes().decode("gb18030")
    report = load_directory(directory)
    assert report.rejected == []
    assert report.counts["persons"].inserted == 11
    assert by_key("P11").name == "单田芳"


def test_blank_lines_keep_the_line_numbers_right(cast, tmp_path):
    directory = write_directory(tmp_path / "blank", persons=PERSONS + [BAD_PERSONS[0]])
    text = (directory / "persons.csv").read_text(encoding="utf-8")
    lines = text.splitlines()
    (directory / "persons.csv").write_text(
        "\n".join([lines[0], "", *lines[1:]]) + "\n", encoding="utf-8"
    )
    report = load_directory(directory)
    assert [(r.key, r.line) for r in report.rejected] == [("X01", len(PERSONS) + 3)]
