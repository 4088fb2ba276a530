"""Generated rates match the inputs within stated tolerances (50,000 persons).

Tolerances: TFR era means ±25%; SRB of first births 103–112 and higher orders above first
births in 1995–2010; mean first-marriage age ±1.5 years of the input per era; inflow share of
residents 15–35%; twins 0.5–2% of deliveries.
"""

from __future__ import annotations

import datetime
from collections import defaultdict

from renkou.simulate import params


def parse_date(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


def test_tfr_by_era(big_district):
    for era in big_district.summary["tfr_by_era"]:
        assert abs(era["realised"] / era["input"] - 1) <= 0.25, era


def test_tfr_follows_china_path(big_district):
    tfr = big_district.summary["tfr_by_year"]
    assert tfr["1970"]["realised"] > 4.5
    assert 1.8 < tfr["1990"]["realised"] < 2.9
    assert 1.2 < tfr["2000"]["realised"] < 2.0
    assert tfr["2023"]["realised"] < 1.3


def test_sex_ratio_at_birth_by_order(big_district):
    eras = {(e["from"], e["to"]): e for e in big_district.summary["srb_by_order_era"]}
    first_m = sum(e["first"]["births"] * e["first"]["realised"] / (100 + e["first"]["realised"])
                  for e in eras.values())  # fmt: skip
    first_total = sum(e["first"]["births"] for e in eras.values())
    pooled_first = first_m / (first_total - first_m) * 100
    assert 103 <= pooled_first <= 112
    peak = eras[(1995, 2010)]
    assert peak["second"]["realised"] > peak["first"]["realised"] + 10
    assert peak["third_plus"]["realised"] > peak["first"]["realised"] + 10


def test_sex_ratio_from_the_files(big_district):
    """Recount SRB by birth order (the mother's children in parent_child), 1995–2010."""
    persons = big_district.persons
    by_mother = defaultdict(list)
    for link in big_district.rows("parent_child"):
        if persons[link["parent_key"]]["sex"] == "F":
            child = persons[link["child_key"]]
            by_mother[link["parent_key"]].append((child["birth_date"], child["sex"]))
    counts = {1: [0, 0], 2: [0, 0]}
    for births in by_mother.values():
        births.sort()
        for order, (date, sex) in enumerate(births, start=1):
            if "1995" <= date[:4] <= "2010":
                counts[min(order, 2)][sex == "F"] += 1
    first = counts[1][0] / counts[1][1] * 100
    higher = counts[2][0] / counts[2][1] * 100
    assert 100 <= first <= 115
    assert higher > first + 8


def test_mean_first_marriage_age(big_district):
    eras = big_district.summary["mean_first_marriage_age"]
    # The district runs 1950–2025: every era of the inputs is reported, each with marriages.
    assert [(era["from"], era["to"]) for era in eras] == list(params.FIRST_MARRIAGE_ERAS)
    for era in eras:
        for sex in ("men", "women"):
            assert era[sex]["marriages"] >= 20, (era, sex)
            assert abs(era[sex]["realised"] - era[sex]["input"]) <= 1.5, (era, sex)


def test_mean_first_marriage_age_from_the_files(big_district):
    persons = big_district.persons
    ages = []
    for row in big_district.rows("marriages"):
        start = parse_date(row["start_date"])
        if row["wife_kind"] == "first" and 2010 <= start.year <= 2019:
            born = parse_date(persons[row["wife_key"]]["birth_date"])
            ages.append((start - born).days / 365.25)
    mean = sum(ages) / len(ages)
    assert 23.0 <= mean <= 27.5  # inputs 23.9 (2010) → 27.95 (2020)


def test_floating_share(big_district):
    alive = [r for r in big_district.rows("persons") if r["status"] == "alive"]
    residents = [r for r in alive if r["residence_unit_code"]]
    inflow = [r for r in residents if not r["hukou_unit_code"]]
    share = len(inflow) / len(residents)
    assert 0.15 <= share <= 0.35
    assert abs(share - big_district.summary["floating"]["inflow_share_of_residents"]) < 0.01


def test_twins_about_one_percent(big_district):
    deliveries = twins = 0
    for event in big_district.rows("events"):
        if event["kind"] == "birth":
            deliveries += 1
            twins += event["plurality"] == "2"
    share = twins / 2 / (deliveries - twins / 2)
    assert 0.005 <= share <= 0.02


def test_life_expectancy_shape(big_district):
    """Deaths in 2015–2025 are mostly of old people; infant deaths are rare."""
    persons = big_district.persons
    ages = []
    for row in persons.values():
        if row["death_date"] >= "2015":
            ages.append((parse_date(row["death_date"]) - parse_date(row["birth_date"])).days)
    ages = sorted(a / 365.25 for a in ages)
    median = ages[len(ages) // 2]
    assert 70 <= median <= 90
    assert sum(a < 1 for a in ages) / len(ages) < 0.03
