"""The snapshot: tables, level and period columns, the Snapshot record, the command."""

from __future__ import annotations

import io
from pathlib import Path

import pyarrow.parquet as pq
from django.core.management import call_command

from renkou.analytics.exporting import EXPORTERS, LEVELS
from renkou.analytics.models import Snapshot


def test_tables_and_columns(known):
    directory = known.snapshot
    assert {p.stem for p in directory.glob("*.parquet")} == set(EXPORTERS)
    persons = pq.read_table(directory / "persons.parquet").to_pandas()
    assert len(persons) == 20
    for level in LEVELS:
        assert {f"{level}_code", f"{level}_name"} <= set(persons.columns)
    migrant = persons[persons.person_id == known.persons["migrant"].pk].iloc[0]
    assert (migrant.group_code, migrant.group_name) == ("510199001001002", "东门社区2栋")
    assert (migrant.township_name, migrant.district_code) == ("东城街道", "510199000000")
    assert bool(migrant.inflow) and not bool(migrant.outflow)
    assert migrant.present_from == 20230301  # moved in
    leaver = persons[persons.person_id == known.persons["leaver"].pk].iloc[0]
    assert (leaver.status, leaver.present_until) == ("moved_away", 20240801)
    old = persons[persons.person_id == known.persons["old"].pk].iloc[0]
    assert (old.present_until, old.death_ymd) == (20240301, 20240301)


def test_birth_events_carry_what_the_indicators_need(known):
    events = pq.read_table(known.snapshot / "events.parquet").to_pandas()
    twin = events[events.person_id == known.persons["c2b"].pk].iloc[0]
    assert (twin.kind, twin.sex, twin.mother_age, twin.birth_order, twin.plurality) == (
        "birth", "M", 23, 2, 2,
    )  # fmt: skip
    assert (twin.year, twin.quarter, twin.month, twin.date_ymd) == (2024, 2, 6, 20240601)
    assert twin.registration_delay_days == 40
    death = events[events.kind == "death"].iloc[0]
    assert death.registration_delay_days != death.registration_delay_days  # NaN: births only
    classes = pq.read_table(known.snapshot / "birth_classifications.parquet").to_pandas()
    assert sorted(classes.status) == ["outside", "outside", "unknown", "within", "within"]


def test_snapshot_command_records_the_snapshot(known, tmp_path, settings):
    settings.DATA_DIR = tmp_path / "data"
    out = io.StringIO()
    call_command("snapshot", stdout=out)
    snapshot = Snapshot.objects.get()
    path = Path(snapshot.path)
    assert path.parent == (tmp_path / "data" / "snapshots").resolve()
    assert snapshot.counts["persons"] == 20 and snapshot.counts["events"] == 19
    assert (path / "manifest.json").exists()
    assert "persons: 20" in out.getvalue()
    call_command("snapshot", "--out", str(tmp_path / "mine"), stdout=io.StringIO())
    assert Snapshot.objects.count() == 2
    assert Snapshot.objects.first().path == str((tmp_path / "mine").resolve())


def test_empty_tables_keep_their_columns(cast, tmp_path):
    from renkou.analytics.snapshot import build_snapshot

    result = build_snapshot(tmp_path / "empty")
    assert result.counts["persons"] == 0 and result.counts["units"] == 13
    persons = pq.read_table(tmp_path / "empty" / "persons.parquet")
    assert persons.num_rows == 0 and "present_until" in persons.schema.names
    assert "group_code" in pq.read_table(tmp_path / "empty" / "events.parquet").schema.names
