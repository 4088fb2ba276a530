"""The derived fields (`loading.derived`): birth orders, floating since, death events."""

from __future__ import annotations

from collections import defaultdict

import pytest

from renkou.registry.loading.loader import load_directory
from renkou.registry.models import Event, Person
from tests.registry.loading.data import (
    GROUP,
    GROUP2,
    GROUP3,
    by_key,
    d,
    event,
    person,
    write_directory,
)


def test_derived_birth_orders(cast, family_dir):
    load_directory(family_dir)
    orders = {
        key: (p.birth_order_mother, p.parity_mother, p.birth_order_couple)
        for key in ("P03", "P05", "P06", "P07", "P08", "P09", "P01")
        for p in [by_key(key)]
    }
    assert orders["P03"] == (1, 1, 1)
    assert orders["P05"] == (2, 2, 2)
    # Twins: children 1 and 2 of delivery 1.
    assert orders["P06"] == (1, 1, 1)
    assert orders["P07"] == (2, 1, 2)
    # The daughter who died as a baby still counts, so the youngest is the fourth child.
    assert orders["P08"] == (3, 2, 3)
    assert orders["P09"] == (4, 3, 4)
    assert orders["P01"] == (None, None, None)  # no mother known


def test_floating_status_and_since(cast, family_dir):
    load_directory(family_dir)
    migrant = by_key("P10")
    assert (migrant.floating, migrant.floating_since) == ("inflow", d(2019, 9, 1))  # the latest
    assert migrant.unit.code == GROUP3 and migrant.hukou_unit is None
    assert migrant.hukou_division == "440106001001"
    daughter = by_key("P05")
    assert (daughter.floating, daughter.floating_since) == ("outflow", d(2015, 3, 1))
    assert daughter.unit.code == GROUP and daughter.residence_unit is None  # the hukou unit
    resident = by_key("P03")
    assert (resident.floating, resident.floating_since) == ("", None)


def test_death_event_derived_for_the_deceased(cast, family_dir):
    load_directory(family_dir)
    grandfather = by_key("P01")
    assert grandfather.status == "deceased" and grandfather.death_date == d(2020, 6, 1)
    derived = Event.objects.get(source_key="death:P01")
    assert (derived.kind, derived.date, derived.person, derived.unit) == (
        "death", d(2020, 6, 1), grandfather, grandfather.unit,
    )  # fmt: skip
    # The baby's death is in the events file: no second one.
    assert Event.objects.filter(person=by_key("P08"), kind="death").count() == 1


def test_new_child_of_a_loaded_mother_is_ordered_after_her_children(cast, family_dir, tmp_path):
    load_directory(family_dir)
    baby = person("P12", "王小宝", "M", d(2016, 6, 6), seq=12, residence=GROUP2, hukou=GROUP2)
    second = write_directory(
        tmp_path / "second",
        persons=[baby],
        links=[("P04", "P12", "", ""), ("P03", "P12", "", "")],
        marriages=[],
        events=[event("E20", "birth", "2016-06-06", "P12", mother_key="P04", father_key="P03")],
        households=[],
    )
    report = load_directory(second)
    assert report.rejected == []
    new = by_key("P12")
    assert (new.birth_order_mother, new.parity_mother, new.birth_order_couple) == (5, 4, 5)


@pytest.mark.django_db
def test_bulk_derived_fields_equal_what_registry_derive_computes(tmp_path):
    """The bulk loader derives some stored fields itself, over its stores; `renkou.registry
    .derive` is the ORM path every action calls. On a simulated district they agree for every
    person: floating status and since-date (from the places the file gives: the bulk path
    takes residence, household registration and a living person's status from the file, it
    does not replay the moves), birth date and death (date of the birth and the first death
    event: the loader adds a death event for the deceased without one) and the three birth
    orders of every mother's children."""
    from renkou.registry import derive, rules
    from renkou.registry.models import EventKind, EventState
    from renkou.simulate import simulate_district

    simulate_district(tmp_path, persons=1500, seed=11, error_profile="clean")
    report = load_directory(tmp_path)
    assert report.rejected == []
    persons = list(Person.objects.order_by("pk"))
    assert len(persons) == report.counts["persons"].read > 1000
    events = defaultdict(list)
    for e in Event.objects.filter(state=EventState.ACTIVE).order_by("date", "pk"):
        events[e.person_id].append(e)
    moves_of = (EventKind.MOVE_IN, EventKind.MOVE_OUT)
    differ = {}
    for p in persons:
        mine = events[p.pk]
        floating = rules.floating_status(
            hukou_here=p.hukou_unit_id is not None, lives_here=p.residence_unit_id is not None
        )
        births = [e.date for e in mine if e.kind == EventKind.BIRTH]
        deaths = [e.date for e in mine if e.kind == EventKind.DEATH]
        expected = {
            "floating": floating,
            "floating_since": derive.floating_since(
                floating, [e for e in mine if e.kind in moves_of]
            ),
            "birth_date": births[-1] if births else p.birth_date,
            "deceased": bool(deaths),
            "death_date": deaths[0] if deaths else None,
        }
        stored = {
            "floating": p.floating,
            "floating_since": p.floating_since,
            "birth_date": p.birth_date,
            "deceased": p.status == "deceased",
            "death_date": p.death_date,
        }
        if stored != expected:
            differ[p.source_key] = (stored, expected)
    assert differ == {}
    assert sum(p.floating_since is not None for p in persons) > 50
    assert sum(p.status == "deceased" for p in persons) > 50
    mothers = Person.objects.filter(sex="F", child_links__isnull=False).distinct()
    assert mothers.count() > 100
    reordered = {
        child.source_key: (child.birth_order_mother, child.parity_mother, child.birth_order_couple)
        for mother in mothers
        for child in derive.derive_birth_orders(mother)
    }
    assert reordered == {}
