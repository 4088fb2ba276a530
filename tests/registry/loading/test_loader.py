"""The conductor (`loading.loader.load_directory`): counts, idempotency, rejected.csv, the
errors that stop a load, the command, the actor's scope, the cycle collector."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from renkou.registry.loading.loader import LoadError, load_directory
from renkou.registry.models import Event, Household, Marriage, ParentChild, Person
from tests.registry.loading.data import (
    BAD_PERSONS,
    LINKS,
    PERSONS,
    by_key,
    rejected_rows,
    snapshot,
    write_csv,
    write_directory,
)


def test_load_counts_inserted(cast, family_dir):
    report = load_directory(family_dir)
    assert report.rejected == []
    counts = report.counts
    assert (counts["households"].read, counts["households"].inserted) == (3, 3)
    assert (counts["persons"].read, counts["persons"].inserted) == (11, 11)
    assert (counts["parent_child"].read, counts["parent_child"].inserted) == (11, 11)
    assert report.derived_links == 1  # P04 → P09, from the birth event
    assert (counts["marriages"].read, counts["marriages"].inserted) == (1, 1)
    assert (counts["events"].read, counts["events"].inserted) == (10, 10)
    assert report.derived_deaths == 1
    assert Person.objects.count() == 11
    assert Household.objects.count() == 3
    assert ParentChild.objects.count() == 12
    assert Marriage.objects.count() == 1
    assert Event.objects.count() == 11
    assert report.elapsed > 0
    # rejected.csv is written even when empty: a stale one must not survive.
    assert rejected_rows(family_dir) == []


def test_loading_twice_adds_nothing(cast, family_dir):
    load_directory(family_dir)
    before = (
        Person.objects.count(), Household.objects.count(), ParentChild.objects.count(),
        Marriage.objects.count(), Event.objects.count(),
    )  # fmt: skip
    first = snapshot()
    report = load_directory(family_dir)
    assert report.rejected == []
    for kind in ("households", "persons", "parent_child", "marriages", "events"):
        counts = report.counts[kind]
        assert counts.inserted == 0, kind
        assert counts.present == counts.read, kind
        assert counts.differs == 0, kind
    assert report.derived_deaths == 0 and report.derived_links == 0
    after = (
        Person.objects.count(), Household.objects.count(), ParentChild.objects.count(),
        Marriage.objects.count(), Event.objects.count(),
    )  # fmt: skip
    assert after == before
    assert snapshot() == first


def test_a_changed_row_is_present_and_differs_not_updated(cast, family_dir, tmp_path):
    load_directory(family_dir)
    changed = [row if row[0] != "P09" else (row[0], row[1], "王欣然", *row[3:]) for row in PERSONS]
    second = write_directory(tmp_path / "second", persons=changed)
    report = load_directory(second)
    persons = report.counts["persons"]
    assert (persons.inserted, persons.present, persons.differs, persons.rejected) == (0, 11, 1, 0)
    assert by_key("P09").name == "王欣怡"


def test_rejected_rows_are_written_with_file_line_key_field_reason(cast, mixed_dir):
    report = load_directory(mixed_dir)
    rows = rejected_rows(mixed_dir)
    assert list(rows[0]) == ["file", "line", "key", "field", "reason"]
    found = {(row["file"], row["key"]): row for row in rows}
    persons_line = {row[0]: number for number, row in enumerate(PERSONS + BAD_PERSONS, start=2)}

    def check(file, key, field, *words):
        row = found[file, key]
        assert row["field"] == field, row
        for word in words:
            assert word in row["reason"], row
        return row

    row = check("persons.csv", "X01", "id_number", "校验码", "check character")
    assert row["line"] == str(persons_line["X01"])
    check("persons.csv", "X02", "id_number", "出生日期", "birth date")
    check("persons.csv", "X03", "residence_unit_code", "510199009009009", "unknown unit")
    check("persons.csv", "X09", "id_number", f"第{persons_line['P03']}行", "also on line")
    check("persons.csv", "X11", "id_number", "Excel", "Excel")
    check("parent_child.csv", "X05>X04", "parent_key", "11岁", "was 11")
    row = check(
        "parent_child.csv", "X01>X10", "parent_key",
        f"人员第{persons_line['X01']}行被拒绝", f"person row {persons_line['X01']} was rejected",
    )  # fmt: skip
    assert row["line"] == str(len(LINKS) + 3)
    check("marriages.csv", "MX", "husband_key", "19岁", "legal age of 22")
    check("events.csv", "EX1", "date", "死亡", "after")
    assert len(rows) == 9
    assert report.counts["persons"].rejected == 5
    assert report.counts["parent_child"].rejected == 2
    assert report.counts["marriages"].rejected == 1
    assert report.counts["events"].rejected == 1


def test_good_rows_are_committed_despite_bad_ones(cast, mixed_dir):
    report = load_directory(mixed_dir)
    assert report.counts["persons"].inserted == 11 + 5  # X04, X05, X07, X08, X10
    assert set(Person.objects.values_list("source_key", flat=True)) == {
        *(row[0] for row in PERSONS), "X04", "X05", "X07", "X08", "X10",
    }  # fmt: skip
    assert not ParentChild.objects.filter(child__source_key__in=["X04", "X10"]).exists()
    assert not Marriage.objects.filter(source_key="MX").exists()
    assert not Event.objects.filter(source_key="EX1").exists()
    assert by_key("P09").birth_order_mother == 4


def test_a_directory_without_persons_is_an_error(cast, tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(LoadError):
        load_directory(tmp_path / "empty")


def test_a_missing_required_column_is_an_error(cast, tmp_path):
    directory = tmp_path / "columns"
    directory.mkdir()
    write_csv(directory / "persons.csv", ("person_key", "name"), [("P1", "王一")])
    with pytest.raises(LoadError) as error:
        load_directory(directory)
    assert "persons.csv" in str(error.value) and "sex" in str(error.value)


def test_command_prints_a_summary_table(cast, family_dir):
    out = io.StringIO()
    call_command("load", str(family_dir), stdout=out)
    text = out.getvalue()
    for label in ("人员 persons", "事件 events", "新增 inserted", "已有 present", "拒绝 rejected"):
        assert label in text
    assert Person.objects.count() == 11


def test_command_dry_run_writes_nothing(cast, mixed_dir):
    out, err = io.StringIO(), io.StringIO()
    call_command("load", str(mixed_dir), "--dry-run", stdout=out, stderr=err)
    assert Person.objects.count() == 0
    assert Event.objects.count() == 0
    assert "dry run" in out.getvalue() or "试运行" in out.getvalue()
    assert len(rejected_rows(mixed_dir)) == 9  # the report is written all the same


def test_command_missing_directory_fails(cast, tmp_path):
    with pytest.raises(CommandError):
        call_command("load", str(tmp_path / "nowhere"), stdout=io.StringIO())


def test_loading_as_a_user_needs_the_permission_and_sees_only_their_units(cast, family_dir):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        load_directory(family_dir, actor=cast.auditor)
    # A grid worker of 东门社区 knows 东门社区1栋/2栋 but not 青山村一组.
    report = load_directory(family_dir, actor=cast.grid_worker)
    unknown = {r.key for r in report.rejected if r.code == "unknown_unit"}
    assert unknown == {"H003", "P10", "P11"}
    assert report.counts["persons"].inserted == 9
    assert Event.objects.filter(recorded_by=cast.grid_worker).exists()


def test_the_cycle_collector_is_off_during_the_load_and_back_on_after(
    cast, family_dir, monkeypatch
):
    import gc

    from renkou.registry.loading import loader

    seen = []
    check = loader._check

    def spying(*args, **kwargs):
        seen.append(gc.isenabled())
        return check(*args, **kwargs)

    monkeypatch.setattr(loader, "_check", spying)
    assert gc.isenabled()
    load_directory(family_dir)
    assert seen == [False]
    assert gc.isenabled()
    with pytest.raises(LoadError):
        load_directory(family_dir / "nowhere")
    assert gc.isenabled()
