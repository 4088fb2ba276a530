"""Calendar arithmetic of the simulator agrees with the registry's age rule, so every
generated marriage is at or above the legal age of its day."""

from __future__ import annotations

import datetime

import numpy as np
import pytest

from renkou.registry import rules
from renkou.simulate import params
from renkou.simulate.dates import (
    anniversary,
    earliest_lawful_marriage,
    lawful_wedding,
    legal_marriage_age,
    may_marry,
)
from renkou.simulate.initial import initial_population
from renkou.simulate.state import FEMALE, MALE, day_of

EPOCH = datetime.date(1970, 1, 1)


def days(*dates: datetime.date) -> np.ndarray:
    return np.array([(value - EPOCH).days for value in dates], dtype=np.int64)


def date_of(day: int) -> datetime.date:
    return EPOCH + datetime.timedelta(days=int(day))


@pytest.mark.parametrize(
    ("birth", "years", "expected"),
    [
        (datetime.date(1990, 3, 1), 22, datetime.date(2012, 3, 1)),  # not 29 Feb of a leap year
        (datetime.date(1992, 2, 29), 20, datetime.date(2012, 2, 29)),
        (datetime.date(1992, 2, 29), 22, datetime.date(2014, 3, 1)),  # as rules.age_on counts
        (datetime.date(1991, 12, 31), 18, datetime.date(2009, 12, 31)),
        (datetime.date(1930, 1, 1), 18, datetime.date(1948, 1, 1)),
    ],
)
def test_anniversary_is_the_calendar_birthday(birth, years, expected):
    assert date_of(anniversary(days(birth), years)[0]) == expected


def test_anniversary_agrees_with_the_registry_age_everywhere():
    rng = np.random.default_rng(4)
    births = rng.integers(day_of(1880), day_of(2020), 5000)
    years = rng.integers(0, 60, 5000)
    for birth, k, day in zip(births, years, anniversary(births, years), strict=True):
        born = date_of(birth)
        assert rules.age_on(born, date_of(day)) == k
        assert rules.age_on(born, date_of(day - 1)) == k - 1


def test_legal_ages_follow_the_law_of_the_day():
    on = days(datetime.date(1950, 4, 30), datetime.date(1950, 5, 1), datetime.date(1981, 1, 1))
    assert legal_marriage_age(on, MALE).tolist() == [18, 20, 22]
    assert legal_marriage_age(on, FEMALE).tolist() == [16, 18, 20]


def test_earliest_lawful_marriage_is_the_first_lawful_day():
    rng = np.random.default_rng(5)
    births = rng.integers(day_of(1900), day_of(2000), 3000)
    sexes = rng.integers(0, 2, 3000)
    starts = rng.integers(day_of(1920), day_of(2030), 3000)
    earliest = earliest_lawful_marriage(births, sexes, starts)
    for birth, sex, start, day in zip(births, sexes, starts, earliest, strict=True):
        code = "M" if sex == MALE else "F"
        assert day >= start
        assert not rules.check_marriage_age(code, date_of(birth), date_of(day))
        if day > start:
            assert rules.check_marriage_age(code, date_of(birth), date_of(day - 1))


def test_lawful_wedding_suits_both_spouses():
    # a groom of 21 in December 1980 may marry then, but not in January 1981
    groom, bride = days(datetime.date(1959, 6, 1)), days(datetime.date(1960, 1, 10))
    day = lawful_wedding(groom, bride, days(datetime.date(1981, 1, 5)))
    assert date_of(day[0]) == datetime.date(1981, 6, 1)
    assert may_marry(groom, MALE, day)[0] and may_marry(bride, FEMALE, day)[0]
    assert not may_marry(groom, MALE, day - 1)[0]


def test_the_simulated_minimum_ages_are_never_below_the_law():
    """The marriage step uses one minimum age per year; it must satisfy every day's law."""
    table = tuple(params.LEGAL_MIN_AGE.items())
    for year in range(1900, 2031):
        ages = params.regime_of(year, table)
        for day in (datetime.date(year, 1, 1), datetime.date(year, 12, 31)):
            law = rules.marriage_age_on(day)
            assert ages[MALE] >= law["M"] and ages[FEMALE] >= law["F"], year


@pytest.mark.parametrize("name", ["district", "clean_district"])
def test_every_generated_marriage_is_at_the_legal_age(name, request):
    district = request.getfixturevalue(name)
    persons = district.persons
    for row in district.rows("marriages"):
        start = datetime.date.fromisoformat(row["start_date"])
        for key, sex in ((row["husband_key"], "M"), (row["wife_key"], "F")):
            birth = datetime.date.fromisoformat(persons[key]["birth_date"])
            assert not rules.check_marriage_age(sex, birth, start), row["marriage_key"]


def _simulation(start: int, capacity: int):
    from renkou.simulate.geography import build_geography
    from renkou.simulate.population import Simulation

    rng = np.random.default_rng(1)
    geo = build_geography(rng, 10_000, "510199", "锦城区")
    return Simulation(params.Params(), geo, rng, start=start, end=2025, capacity=capacity)


@pytest.mark.parametrize("start", [1950, 1978, 1990])
def test_couples_of_the_start_year_married_at_the_legal_age_of_their_day(start):
    """The start population's couples married before it began, under the law of their day
    (1930: 18/16, 1950: 20/18, 1981: 22/20), never a day short."""
    sim = _simulation(start, 60_010)
    initial_population(sim, 60_000)
    m, p = sim.w.m, sim.w.p
    husbands, wives, day = m.h[: m.n], m.w[: m.n], m.start[: m.n]
    assert m.n > 5000
    assert (day < day_of(start)).all()
    assert may_marry(p.bday[husbands], MALE, day).all()
    assert may_marry(p.bday[wives], FEMALE, day).all()


def test_a_marriage_at_the_minimum_age_waits_for_the_real_birthday():
    """Born 1 March 1990 (a common year): 22 on 1 March 2012, not on 29 February."""
    from renkou.simulate.marriage import _lower_day

    sim = _simulation(1950, 10)
    person = sim.w.new_persons(2)
    p = sim.w.p
    p.bday[person] = days(datetime.date(1990, 3, 1), datetime.date(1992, 2, 29))
    p.byear[person] = [1990, 1992]
    p.sex[person] = [MALE, FEMALE]
    p.last_ev[person] = p.bday[person]
    lower = _lower_day(sim, 2012, person)
    assert [date_of(day) for day in lower] == [
        datetime.date(2012, 3, 1),
        datetime.date(2012, 2, 29),
    ]
