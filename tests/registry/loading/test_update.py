"""Issue 13 item 5: a re-load that finds a stored person differing from the file reports each
differing field in rejected.csv with both values, changes nothing, and `--update` writes the
file's values with a history row (both databases)."""

from __future__ import annotations

import io

from django.core.management import call_command

from renkou.registry.loading.loader import load_directory
from renkou.registry.models import Event, Person
from tests.registry.loading.data import PERSON_HEADER, PERSONS, rejected_rows, write_directory

STATUS, DEATH, NAME = (PERSON_HEADER.index(c) for c in ("status", "death_date", "name"))
P02_LINE = next(i for i, row in enumerate(PERSONS, start=2) if row[0] == "P02")


def _changed() -> list[tuple]:
    """P02 (李秀英, alive) renamed and deceased in the file."""
    rows = []
    for row in PERSONS:
        if row[0] == "P02":
            row = list(row)
            row[NAME], row[STATUS], row[DEATH] = "李秀兰", "deceased", "2021-01-01"
            row = tuple(row)
        rows.append(row)
    return rows


def test_a_differing_row_is_reported_with_both_values_and_not_applied(cast, family_dir, tmp_path):
    load_directory(family_dir)
    second = write_directory(tmp_path / "second", persons=_changed())
    report = load_directory(second)
    persons = report.counts["persons"]
    assert (persons.present, persons.differs, persons.updated, persons.rejected) == (11, 1, 0, 0)
    found = {
        row["field"]: row["reason"]
        for row in rejected_rows(second)
        if row["key"] == "P02" and row["line"] == str(P02_LINE)
    }
    assert set(found) == {"name", "status", "death_date"}
    assert "李秀英" in found["name"] and "李秀兰" in found["name"]
    assert "alive" in found["status"] and "deceased" in found["status"]
    assert "--update" in found["death_date"]
    p02 = Person.objects.get(source_key="P02")
    assert (p02.name, p02.status, p02.death_date) == ("李秀英", "alive", None)
    assert p02.history.count() == 0  # the bulk insert writes no history


def test_update_applies_the_file_values_with_history(cast, family_dir, tmp_path):
    load_directory(family_dir)
    second = write_directory(tmp_path / "second", persons=_changed())
    out = io.StringIO()
    call_command("load", str(second), "--update", stdout=out)
    assert "按文件更新人员" in out.getvalue()
    p02 = Person.objects.get(source_key="P02")
    assert (p02.name, p02.name_pinyin, p02.status, p02.death_date.isoformat()) == (
        "李秀兰", "lixiulan", "deceased", "2021-01-01"
    )  # fmt: skip
    history = p02.history.get()
    assert history.history_type == "~"
    assert "persons.csv" in history.history_change_reason
    assert f"第{P02_LINE}行" in history.history_change_reason
    assert Event.objects.filter(person=p02, kind="death").count() == 1
    assert not [row for row in rejected_rows(second) if row["key"] == "P02"]
    # Loading the same file again finds nothing different.
    again = load_directory(second)
    assert (again.counts["persons"].differs, again.counts["persons"].updated) == (0, 0)
