"""The field specifications (`loading.fields`): one per kind, read by both the vectorised
checks and the per-row path, with the length limits taken from the models."""

from __future__ import annotations

import pytest

from renkou.registry.loading.fields import SPECS, TEXT_TYPES
from renkou.registry.loading.loader import load_directory
from renkou.registry.models import Person
from tests.registry.loading.data import d, person, write_directory

# The columns a file must have, as the loader has always required them.
REQUIRED = {
    "households": ("household_no", "unit_code"),
    "persons": ("person_key", "name", "sex", "birth_date"),
    "parent_child": ("parent_key", "child_key"),
    "marriages": ("marriage_key", "husband_key", "wife_key", "start_date"),
    "events": ("event_key", "kind", "date", "person_key"),
}


def test_the_length_limits_are_the_models_max_length():
    checked = 0
    for spec in SPECS.values():
        for column, field in spec.fields.items():
            if field.model_field is None:
                continue
            model_field = spec.model._meta.get_field(field.model_field)
            if field.type in TEXT_TYPES:
                assert model_field.max_length, (spec.kind, column)
                assert spec.max_length(column) == model_field.max_length, (spec.kind, column)
                checked += 1
    assert checked == 12  # every length the loader checks (it used to hold them in a table)


def test_the_code_lists_store_only_the_models_choices():
    for spec in SPECS.values():
        for column, field in spec.fields.items():
            if field.codes is None or field.model_field is None:
                continue
            choices = spec.model._meta.get_field(field.model_field).choices
            if choices is None:
                continue  # a flag (moves_hukou)
            allowed = {value for value, _label in choices}
            assert set(spec.stored_codes(column)) <= allowed, (spec.kind, column)


def test_the_required_columns_come_from_the_spec():
    assert {kind: spec.required_columns() for kind, spec in SPECS.items()} == REQUIRED


@pytest.mark.parametrize("limit", [3, 4])
def test_changing_a_max_length_changes_both_paths(cast, tmp_path, monkeypatch, limit):
    """Only the model field's max_length changes: the vectorised check flags the long name
    (else the row would be accepted as it is) and the per-row path names the same limit."""
    monkeypatch.setattr(Person._meta.get_field("name"), "max_length", limit)
    persons = [
        person("L1", "王建国", "M", d(1980, 1, 1), seq=1),  # 3 characters
        person("L2", "欧阳建国", "M", d(1980, 1, 2), seq=2),  # 4
        person("L3", "欧阳建国", "F", d(1980, 1, 3), seq=3, relation="X9"),  # 4, bad code too
    ]
    directory = write_directory(
        tmp_path / "names", persons=persons, links=[], marriages=[], events=[], households=[]
    )
    report = load_directory(directory)
    rejected = {r.key: (r.field, r.code, r.message_en) for r in report.rejected}
    too_long = ("name", "too_long", f"name is longer than {limit} characters")
    if limit == 3:
        assert rejected == {"L2": too_long, "L3": too_long}
    else:
        assert set(rejected) == {"L3"} and rejected["L3"][0] == "relation_to_head"
    assert set(Person.objects.values_list("source_key", flat=True)) == {"L1"} | (
        {"L2"} if limit == 4 else set()
    )
