"""Every indicator against values computed by hand on the known data set (conftest.py).

T1 = 东城街道 510199001000, T2 = 青山镇 510199101000, D = 锦城区 510199000000.

Population on 2024-07-01 (mid-year): T1 14 = h1 m1 h2 m2 h3 m3 c1a c1b c2a c2b w4 leaver
outflow migrant (c3a not yet born, old dead); T2 4 = h5 m5 c5a c5b; D 18.
Population on 2024-12-31: T1 14 (c3a born, leaver gone); T2 4; D 18.
Births in 2024: T1 4 = c1b M (order 2, mother 29), c2a M (1, 23), c2b M (2, 23),
c3a F (1, 38); T2 1 = c5b M (2, 33). Deaths in 2024: T1 1 (old).
"""

from __future__ import annotations

import math

import pytest

from renkou.analytics.catalogue import CATALOGUE, Query, active
from renkou.analytics.engines import Engine
from renkou.analytics.periods import Period

T1, T2, D = "510199001000", "510199101000", "510199000000"


@pytest.fixture
def engine(known) -> Engine:
    return Engine(known.snapshot)


def figures(engine: Engine, code: str, period="2024", level="township", within=None):
    """{(unit, dim): row} for one indicator."""
    frame = engine.run(Query.of(period, level, within), [code])
    return {(r.unit, r.dim): r for r in frame.itertuples(index=False)}


def value(engine, code, unit, dim="", **kwargs) -> float:
    return figures(engine, code, **kwargs)[(unit, dim)].value


def test_population(engine):
    assert value(engine, "population", T1) == 14
    assert value(engine, "population", T2) == 4
    assert value(engine, "population", D, level="district") == 18
    assert value(engine, "population_mid", T1) == 14
    # 2024Q2: middle day 2024-04-01 + ⌊90/2⌋ days = 2024-05-16; the twins (06-01) not yet
    # born, c1b (02-10) born, old dead (03-01): 12.
    assert value(engine, "population_mid", T1, period="2024Q2") == 12
    # the end of 2023: c1b, the twins, c3a not born; old and leaver still here: 14 − 4 + 2
    assert value(engine, "population", T1, period="2023") == 12


def test_population_by_sex_and_age_group(engine):
    rows = figures(engine, "population_by_sex_age")
    t1 = {dim: row.value for (unit, dim), row in rows.items() if unit == T1}
    # ages on 2024-12-31: h1 34, m1 30, h2 26, m2 24, h3 40, m3 39 (born 12-31), c1a 4,
    # c1b/c2a/c2b 0 (M), c3a 0 (F), w4 49, outflow 32, migrant 25
    assert t1 == {
        "F:00-04": 2, "F:20-24": 1, "F:25-29": 1, "F:30-34": 1, "F:35-39": 1, "F:45-49": 1,
        "M:00-04": 3, "M:25-29": 1, "M:30-34": 2, "M:40-44": 1,
    }  # fmt: skip
    assert sum(t1.values()) == 14


def test_births_and_births_by_order(engine):
    assert value(engine, "births", T1) == 4
    assert value(engine, "births", T2) == 1
    by_order = {k: r.value for k, r in figures(engine, "births_by_order").items()}
    assert by_order == {(T1, "1"): 2, (T1, "2"): 2, (T2, "2"): 1}
    assert value(engine, "births", T1, period="2024Q2") == 2  # the twins
    assert value(engine, "births", T1, period="202411") == 1  # c3a


def test_crude_rates(engine):
    assert value(engine, "crude_birth_rate", T1) == pytest.approx(4 / 14 * 1000)  # 285.714
    assert value(engine, "crude_birth_rate", T2) == 250.0  # 1 / 4 × 1000
    assert value(engine, "crude_birth_rate", D, level="district") == pytest.approx(5 / 18 * 1000)
    assert value(engine, "crude_death_rate", T1) == pytest.approx(1 / 14 * 1000)  # 71.429
    assert value(engine, "crude_death_rate", T2) == 0.0
    assert value(engine, "natural_growth_rate", T1) == pytest.approx(3 / 14 * 1000)  # 214.286
    assert value(engine, "natural_growth_rate", D, level="district") == pytest.approx(4 / 18 * 1000)
    # A quarter is annualised (× 4): 2024Q2 T1 = 2 births / 12 persons × 1000 × 4 = 666.667
    assert value(engine, "crude_birth_rate", T1, period="2024Q2") == pytest.approx(2000 / 3)
    # A month × 12: June 2024, middle day 06-15, 14 persons: 2 / 14 × 1000 × 12 = 1714.286
    assert value(engine, "crude_birth_rate", T1, period="202406") == pytest.approx(24000 / 14)


def test_general_and_age_specific_fertility(engine):
    # women 15–49 on 2024-07-01: T1 m1 30, m2 23, m3 38, w4 49, migrant 25 (5); T2 m5 34
    assert value(engine, "general_fertility_rate", T1) == 800.0  # 4 / 5 × 1000
    assert value(engine, "general_fertility_rate", D, level="district") == pytest.approx(
        5 / 6 * 1000
    )
    asfr = figures(engine, "age_specific_fertility_rate", level="district")
    rates = {dim: (row.numerator, row.denominator, row.value) for (_u, dim), row in asfr.items()}
    # births by mother's age group / women of the group × 1000
    assert rates == {
        "20-24": (2, 1, 2000.0),  # twins of m2 (23) / m2
        "25-29": (1, 1, 1000.0),  # c1b (m1 was 29) / migrant
        "30-34": (1, 2, 500.0),  # c5b (m5 33) / m1 and m5
        "35-39": (1, 1, 1000.0),  # c3a (m3 38) / m3
        "45-49": (0, 1, 0.0),  # w4
    }


def test_total_fertility_rate(engine):
    # TFR by hand for the district, 2024:
    #   Σ ASFR = 2000 + 1000 + 500 + 1000 + 0 = 4500 per 1000 women
    #   TFR = 5 × 4500 / 1000 = 22.5 children per woman (a tiny, fertile data set)
    assert value(engine, "total_fertility_rate", D, level="district") == 22.5
    # T1: 5 × (2000 + 1000 + 0 + 1000 + 0) / 1000 = 20; T2: 5 × 1000 / 1000 = 5
    assert value(engine, "total_fertility_rate", T1) == 20.0
    assert value(engine, "total_fertility_rate", T2) == 5.0


def test_sex_ratio_at_birth_with_interval(engine):
    # District 2024: boys m = 4 (c1b c2a c2b c5b), girls f = 1 (c3a). SRB = 100·4/1 = 400.
    # 95% CI on the log of the ratio, by hand:
    #   ln(4) = 1.386294; se = √(1/4 + 1/1) = √1.25 = 1.118034; 1.959964 × se = 2.191306
    #   lower = 100·exp(1.386294 − 2.191306) = 100·exp(−0.805012) = 44.708
    #   upper = 100·exp(1.386294 + 2.191306) = 100·exp(3.577600) = 3578.76
    row = figures(engine, "sex_ratio_at_birth", level="district")[(D, "")]
    assert (row.numerator, row.denominator, row.value) == (4, 1, 400.0)
    assert row.lower == pytest.approx(44.708, abs=1e-3)
    assert row.upper == pytest.approx(3578.76, abs=1e-2)
    # T1: 3 boys, 1 girl: 300, CI 100·exp(ln 3 ± 1.959964·√(4/3)) = [31.206, 2884.06]
    row = figures(engine, "sex_ratio_at_birth")[(T1, "")]
    assert row.value == 300.0
    assert (row.lower, row.upper) == (pytest.approx(31.206019), pytest.approx(2884.058962))
    # T2: a boy and no girl: no ratio, no interval
    row = figures(engine, "sex_ratio_at_birth")[(T2, "")]
    assert math.isnan(row.value) and math.isnan(row.lower)


def test_sex_ratio_by_order(engine):
    rows = figures(engine, "sex_ratio_at_birth_by_order")
    first = rows[(T1, "1")]  # c2a M, c3a F: 100, CI exp(±1.959964·√2) = ×/÷ 15.988
    assert (first.numerator, first.denominator, first.value) == (1, 1, 100.0)
    assert first.lower == pytest.approx(100 / math.exp(1.959964 * math.sqrt(2)), rel=1e-6)
    second = rows[(T1, "2")]  # c1b and c2b, both boys
    assert (second.numerator, second.denominator) == (2, 0) and math.isnan(second.value)


def test_policy_compliance(engine):
    # T1: within c1b c2a, outside c2b, unknown c3a (left out): 2 / 3; T2: c5b outside: 0 / 1
    assert value(engine, "policy_compliance_rate", T1) == pytest.approx(200 / 3)
    assert value(engine, "policy_compliance_rate", T2) == 0.0
    assert value(engine, "policy_compliance_rate", D, level="district") == 50.0  # 2 / 4


def test_recording_delay(engine):
    # days from birth to registry recording: c1b 10, twins 40 and 40, c3a 5 (T1); c5b 31 (T2)
    assert value(engine, "recording_delay", T1) == 23.75  # 95 / 4
    assert value(engine, "recording_delay", D, level="district") == 25.2  # 126 / 5
    assert value(engine, "recorded_within_30_days", T1) == 50.0  # c1b, c3a
    assert value(engine, "recorded_within_30_days", D, level="district") == 40.0


def test_floating_population_and_moves(engine):
    assert value(engine, "inflow_population", T1) == 1  # migrant, since 2023-03-01
    assert value(engine, "outflow_population", T1) == 1  # outflow, since 2022-05-01
    assert figures(engine, "inflow_population").keys() == {(T1, "")}
    assert value(engine, "moves_out", T1) == 1  # leaver, 2024-08-01
    assert figures(engine, "moves_in") == {}  # the migrant came in 2023
    assert value(engine, "moves_in", T1, period="2023") == 1
    assert value(engine, "deaths", T1) == 1


def test_drill_down_and_levels(engine):
    """Within 东城街道, by group: the migrant's building has 1 person, the other 13."""
    rows = figures(engine, "population", level="group", within=("township", T1))
    assert {unit: row.value for (unit, _dim), row in rows.items()} == {
        "510199001001001": 13,
        "510199001001002": 1,
    }
    # every level at once: the counts add up from group to district
    frame = engine.run(Query.of("2024", ("district", "township", "village", "group")), ["births"])
    totals = frame.groupby("level").value.sum().to_dict()
    assert totals == {"district": 5, "township": 5, "village": 5, "group": 5}


def test_catalogue_is_documented():
    for item in CATALOGUE.values():
        assert item.name and item.unit and item.numerator and item.description, item.code
    pending = {item.code for item in CATALOGUE.values() if item.pending}
    assert pending == {"service_coverage"}
    assert len(active()) == 27


def test_periods():
    assert Period.parse("2024Q1").previous() == Period.parse("2023Q4")
    assert Period.parse("202401").previous().code == "202312"
    assert Period.parse("2024-03").middle.isoformat() == "2024-03-16"
    assert [p.code for p in Period.parse("2024").last(3)] == ["2022", "2023", "2024"]
    with pytest.raises(ValueError):
        Period.parse("2024Q5")
