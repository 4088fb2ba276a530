"""A simulated district with the clean error profile loads through the real loader with no
rejected row of any kind (issue #4: `renkou load` accepts the simulator's output)."""

from __future__ import annotations

import csv

import pytest

from renkou.registry.loading.loader import load_directory
from renkou.registry.loading.report import KINDS
from renkou.registry.models import Event, Household, Marriage, ParentChild, Person
from renkou.simulate import simulate_district


def _file_rows(out, name: str) -> int:
    with open(out / f"{name}.csv", encoding="utf-8", newline="") as handle:
        return sum(1 for _ in csv.DictReader(handle))


def _assert_loads_without_rejections(out) -> None:
    report = load_directory(out)
    assert [rejection.display() for rejection in report.rejected] == []
    for kind in KINDS:
        counts = report.counts[kind]
        assert counts.read == _file_rows(out, kind), kind
        assert counts.rejected == 0, kind
        assert counts.inserted + counts.present == counts.read, kind
    for model, kind in (
        (Person, "persons"),
        (Household, "households"),
        (Marriage, "marriages"),
    ):
        assert model.objects.count() == _file_rows(out, kind), kind
    assert ParentChild.objects.count() >= _file_rows(out, "parent_child")
    assert Event.objects.count() >= _file_rows(out, "events")


@pytest.mark.django_db(transaction=True)
def test_the_clean_district_loads_with_no_rejected_rows(clean_district):
    _assert_loads_without_rejections(clean_district.out)


@pytest.mark.django_db(transaction=True)
def test_a_district_started_across_marriage_laws_loads_cleanly(tmp_path):
    """Started in 1978: its first couples married under the 1950 law (20/18), later ones
    under the 1980 law (22/20) from 1981; none is a day short of the age of its day."""
    simulate_district(tmp_path, persons=3000, seed=5, start_year=1978, end_year=2025,
                      feeds=True, error_profile="clean")  # fmt: skip
    _assert_loads_without_rejections(tmp_path)
