"""The raw SQL writer (`loading.writer`, `postgres`, `indexes`, `sql`): bulk mode, NULLs."""

from __future__ import annotations

import pytest

from renkou.registry.loading.loader import load_directory
from renkou.registry.models import Event, Household, Marriage, ParentChild, Person
from tests.registry.loading.data import (
    EVENTS,
    GROUP2,
    LINKS,
    PERSONS,
    by_key,
    d,
    event,
    person,
    write_directory,
)


def test_forced_index_rebuild_loads_the_same(cast, family_dir):
    report = load_directory(family_dir, rebuild_indexes=True, batch_size=3)
    assert report.rejected == []
    assert "registry_person" in report.rebuilt_indexes
    assert report.counts["persons"].inserted == 11
    assert by_key("P07").birth_order_mother == 2


def test_bulk_mode_leaves_present_rows_alone_and_inserts_the_new(cast, family_dir, tmp_path):
    load_directory(family_dir)
    counts_before = (Person.objects.count(), Event.objects.count(), ParentChild.objects.count())
    baby = person("P12", "王小宝", "M", d(2016, 6, 6), seq=12, residence=GROUP2, hukou=GROUP2)
    second = write_directory(
        tmp_path / "second",
        persons=[*PERSONS, baby],
        links=[*LINKS, ("P04", "P12", "", ""), ("P03", "P12", "", "")],
        events=[*EVENTS, event("E20", "birth", "2016-06-06", "P12", mother_key="P04")],
    )
    report = load_directory(second, rebuild_indexes=True, batch_size=4)
    assert report.rejected == []
    persons = report.counts["persons"]
    assert (persons.inserted, persons.present) == (1, 11)
    links = report.counts["parent_child"]
    assert (links.inserted, links.present) == (2, 11)
    assert report.counts["events"].inserted == 1
    assert Person.objects.count() == counts_before[0] + 1
    assert Event.objects.count() == counts_before[1] + 1
    assert ParentChild.objects.count() == counts_before[2] + 2
    assert by_key("P12").birth_order_mother == 5
    # A second bulk load of the same adds nothing.
    again = load_directory(second, rebuild_indexes=True)
    assert sum(c.inserted for c in again.counts.values()) == 0


def _foreign_keys_enforced() -> bool:
    from django.db import connection

    if connection.vendor != "sqlite":
        return True
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA foreign_keys")
        return bool(cursor.fetchone()[0])


@pytest.mark.django_db(transaction=True)
def test_bulk_load_outside_a_transaction_checks_references_once(cast, family_dir):
    """Committed loads (the CLI's case): SQLite skips the per-row foreign-key lookups while
    a table is written in bulk mode, checks the table once, and switches them back on."""
    report = load_directory(family_dir, rebuild_indexes=True)
    assert report.rejected == []
    assert set(report.rebuilt_indexes) >= {"registry_person", "registry_event"}
    assert Person.objects.count() == 11 and Event.objects.count() == 11  # + a derived death
    assert _foreign_keys_enforced()


@pytest.mark.django_db(transaction=True)
def test_bulk_mode_rolls_a_table_back_when_a_reference_is_missing(cast):
    """A reference that vanished while loading (here a unit id that never existed) fails the
    table's one check (SQLite) or the re-added foreign key (PostgreSQL): nothing is kept."""
    from django.db import IntegrityError
    from django.utils import timezone

    from renkou.registry.loading.writer import Writer

    now = timezone.now()
    with Writer(rebuild_indexes=True) as writer, pytest.raises(IntegrityError):
        writer.insert(
            "registry_household",
            {
                "number": ["H-X1", "H-X2"],
                "address": ["甲", "乙"],
                "unit_id": [cast.units["group"].pk, 987654],
            },
            constants={"created_at": writer.datetime_value(now)},
        )
    assert not Household.objects.filter(number__startswith="H-X").exists()
    assert _foreign_keys_enforced()


def test_bulk_mode_streams_the_batches_and_copies_an_odd_batch_row_by_row(cast):
    """PostgreSQL copies a bulk-mode table's batches through one COPY; a batch pyarrow cannot
    format (here a number among the addresses) goes row by row and the COPY resumes after."""
    from django.utils import timezone

    from renkou.registry.loading.writer import Writer

    group = cast.units["group"].pk
    with Writer(rebuild_indexes=True, batch_size=2) as writer:
        result = writer.insert(
            "registry_household",
            {
                "number": ["H-S1", "H-S2", "H-S3", "H-S4", "H-S5"],
                "address": ["甲", "乙", 7, "丁", ""],
                "unit_id": [group] * 5,
            },
            constants={"created_at": writer.datetime_value(timezone.now())},
            unique=[("number",)],
        )
    assert result.bulk and result.inserted == 5
    rows = Household.objects.filter(number__startswith="H-S").order_by("number")
    assert list(rows.values_list("number", "address", "unit_id")) == [
        ("H-S1", "甲", group), ("H-S2", "乙", group), ("H-S3", "7", group),
        ("H-S4", "丁", group), ("H-S5", "", group),
    ]  # fmt: skip


def test_bulk_mode_never_keeps_part_of_a_table(cast):
    """A row the database refuses in bulk mode (an id already taken: the loader reserves ids,
    so only a bug could do this) aborts the whole table on PostgreSQL — the batches before it
    included; SQLite skips the row (ON CONFLICT DO NOTHING) and keeps the others."""
    from django.db import IntegrityError, connection
    from django.utils import timezone

    from renkou.registry.loading.writer import Writer

    group = cast.units["group"]
    taken = Household.objects.create(number="H-T0", unit=group).pk
    free = Household.objects.order_by("-pk").first().pk + 100
    data = {
        "id": [free, free + 1, free + 2, taken, free + 3],
        "number": ["H-T1", "H-T2", "H-T3", "H-T4", "H-T5"],
        "address": ["甲", "乙", "丙", "丁", "戊"],
        "unit_id": [group.pk] * 5,
    }
    with Writer(rebuild_indexes=True, batch_size=2) as writer:
        now = writer.datetime_value(timezone.now())
        if connection.vendor == "postgresql":
            with pytest.raises(IntegrityError):
                writer.insert(
                    "registry_household", data, constants={"created_at": now},
                    unique=[("number",)], has_ids=True,
                )  # fmt: skip
            assert not Household.objects.filter(number__in=data["number"]).exists()
        else:
            result = writer.insert(
                "registry_household", data, constants={"created_at": now},
                unique=[("number",)], has_ids=True,
            )  # fmt: skip
            assert result.inserted == 4
            assert not Household.objects.filter(number="H-T4").exists()
    assert Household.objects.filter(number="H-T0").exists()  # the connection still works


def test_bulk_mode_leaves_out_rows_that_would_break_a_unique_index(cast):
    """Bulk mode drops the unique indexes with the others and rebuilds them after: the rows
    that would conflict — with the table, or with an earlier row of the load — are left out
    first (reported by their reserved ids), and the rebuilt index still refuses duplicates."""
    from django.db import IntegrityError, transaction
    from django.utils import timezone

    from renkou.registry.loading.writer import Writer

    group = cast.units["group"]
    Household.objects.create(number="H-U0", unit=group)
    numbers = ["H-U1", "H-U0", "H-U2", "H-U1", "H-U3"]
    with Writer(rebuild_indexes=True, batch_size=2) as writer:
        ids = writer.reserve_ids("registry_household", len(numbers))
        result = writer.insert(
            "registry_household",
            {
                "id": ids,
                "number": numbers,
                "address": list("甲乙丙丁戊"),
                "unit_id": [group.pk] * 5,
            },
            constants={"created_at": writer.datetime_value(timezone.now())},
            unique=[("number",)],
            has_ids=True,
        )
    assert result.bulk and result.inserted == 3
    assert sorted(result.missing_ids) == [ids[1], ids[3]]
    kept = Household.objects.filter(number__startswith="H-U").order_by("number")
    assert list(kept.values_list("number", "address")) == [
        ("H-U0", ""), ("H-U1", "甲"), ("H-U2", "丙"), ("H-U3", "戊"),
    ]  # fmt: skip
    with pytest.raises(IntegrityError), transaction.atomic():
        Household.objects.create(number="H-U2", unit=group)


def test_sqlite_binds_no_none_but_keeps_nulls_apart_from_empty_strings():
    from renkou.registry.loading.sql import sqlite_without_nulls as _sqlite_without_nulls

    columns, marks = _sqlite_without_nulls(
        [["a", None, ""], [3, None, -1], [None, None, "x"], [1, "b", None], ["c", "d", "e"]]
    )
    assert columns == [["a", "\x1f", ""], [3, -2, -1], ["", "", "x"], [1, "b", None],
                       ["c", "d", "e"]]  # fmt: skip
    assert marks == ["NULLIF(?, '\x1f')", "NULLIF(?, -2)", "NULLIF(?, '')", "?", "?"]


def test_a_none_is_written_as_null_and_an_empty_string_as_empty(cast):
    from renkou.registry.loading.writer import Writer

    group = cast.units["group"]
    husbands = [
        Person.objects.create(name=f"甲{i}", sex="M", birth_date=d(1970, 1, i + 1), unit=group)
        for i in range(3)
    ]
    wives = [
        Person.objects.create(name=f"乙{i}", sex="F", birth_date=d(1972, 1, i + 1), unit=group)
        for i in range(3)
    ]
    with Writer(rebuild_indexes=False) as writer:
        result = writer.insert(
            "registry_marriage",
            {
                "source_key": ["M-N1", None, ""],
                "husband_id": [p.pk for p in husbands],
                "wife_id": [p.pk for p in wives],
                "start_date": ["2001-01-01", "2002-02-02", "2003-03-03"],
                "end_date": [None, "2010-01-01", None],
                "end_reason": ["", "divorce", ""],
                "husband_kind": ["first"] * 3,
                "wife_kind": ["first"] * 3,
                "unit_id": [group.pk] * 3,
            },
        )
    assert result.inserted == 3
    rows = Marriage.objects.order_by("start_date").values_list(
        "source_key", "end_date", "end_reason"
    )
    assert list(rows) == [
        ("M-N1", None, ""), (None, d(2010, 1, 1), "divorce"), ("", None, ""),
    ]  # fmt: skip
