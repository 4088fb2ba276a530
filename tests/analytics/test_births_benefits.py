"""The births and benefits indicators against values computed by hand on the known data set
(conftest.py: add_birth_registrations, add_benefits).

T1 = 东城街道 510199001000, T2 = 青山镇 510199101000, D = 锦城区 510199000000.

Birth applications (by the wife's unit), submitted → issued:
  m3 (T1) order 2: 2024-03-04 → 2024-03-20 (16 days), registered
  m5 (T2) order 3: 2024-05-06 → 2024-07-15 (70 days), registered
  m1 (T1) order 3: 2024-09-02 → 2024-09-12 (10 days), registered, later cancelled
  m2 (T1) order 3: submitted 2024-10-01, not decided
Benefits, programme t-women, 2024: m3, w4 (T1) and m5 (T2) approved, 600 yuan each
(central 300, provincial 180, local 120); paid: m3 and w4; m5's payment failed.
"""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest

from renkou.analytics.catalogue import Query
from renkou.analytics.engines import Engine
from tests.analytics.conftest import BENEFIT_CODE
from tests.analytics.test_catalogue import T1, T2, D, figures, value


@pytest.fixture
def engine(known) -> Engine:
    return Engine(known.snapshot)


def test_birth_registrations_table(known):
    rows = pq.read_table(known.snapshot / "birth_registrations.parquet").to_pylist()
    by_wife = {known.persons["m3"].pk: "m3", known.persons["m5"].pk: "m5",
               known.persons["m1"].pk: "m1", known.persons["m2"].pk: "m2"}  # fmt: skip
    rows = {by_wife[r["wife_id"]]: r for r in rows}
    assert rows.keys() == {"m1", "m2", "m3", "m5"}
    m1, m2, m5 = rows["m1"], rows["m2"], rows["m5"]
    assert (m5["submit_to_issue_days"], m5["date_ymd"], m5["year"], m5["quarter"]) == (
        70, 20240715, 2024, 3,
    )  # fmt: skip
    assert (m5["township_code"], m5["group_code"]) == (T2, "510199101201001")
    assert (m5["procedure"], m5["child_order"], m5["state"]) == ("registration", 3, "registered")
    assert m5["in_force"] and m5["issued"]
    assert m1["state"] == "cancelled" and m1["issued"] and not m1["in_force"]
    assert str(m1["decided_on"]) == "2024-09-12"
    assert m2["issued"] is False and m2["year"] is None and m2["submit_to_issue_days"] is None
    assert str(m2["submitted_on"]) == "2024-10-01" and m2["decided_on"] is None


def test_benefit_tables(known):
    payments = pq.read_table(known.snapshot / "benefit_payments.parquet").to_pylist()
    assert sorted((r["township_code"], r["status"], r["amount"]) for r in payments) == [
        (T1, "paid", 600.0), (T1, "paid", 600.0), (T2, "failed", 600.0),
    ]  # fmt: skip
    assert {(r["central"], r["provincial"], r["local"]) for r in payments} == {(300, 180, 120)}
    assert {(r["programme"], r["year"], r["quarter"]) for r in payments} == {
        (BENEFIT_CODE, 2024, None)
    }
    people = pq.read_table(known.snapshot / "benefit_beneficiaries.parquet").to_pylist()
    names = {known.persons[k].pk: k for k in ("m3", "w4", "m5")}
    assert sorted(names[r["person_id"]] for r in people) == ["m3", "m5", "w4"]


def test_registrations(engine):
    assert value(engine, "registrations", T1) == 2  # m3, m1 (cancelled later, still issued)
    assert value(engine, "registrations", T2) == 1
    assert value(engine, "registrations", D, level="district") == 3
    quarters = engine.run(Query.of(["2024Q1", "2024Q3"], "township"), ["registrations"])
    assert {(r.unit, r.period): r.value for r in quarters.itertuples()} == {
        (T1, "2024Q1"): 1, (T1, "2024Q3"): 1, (T2, "2024Q3"): 1,
    }  # fmt: skip
    assert figures(engine, "registrations", period="2023") == {}


def test_registration_timeliness(engine):
    assert value(engine, "registration_delay", T1) == 13.0  # (16 + 10) / 2
    assert value(engine, "registration_delay", T2) == 70.0
    assert value(engine, "registration_delay", D, level="district") == 32.0  # 96 / 3
    assert value(engine, "registration_within_30_days", T1) == 100.0
    assert value(engine, "registration_within_30_days", T2) == 0.0
    row = figures(engine, "registration_within_30_days", level="district")[(D, "")]
    assert (row.numerator, row.denominator, row.value) == (2, 3, pytest.approx(200 / 3))


def test_benefit_beneficiaries(engine):
    rows = figures(engine, "benefit_beneficiaries")
    assert {k: r.value for k, r in rows.items()} == {(T1, BENEFIT_CODE): 2, (T2, BENEFIT_CODE): 1}
    assert value(engine, "benefit_beneficiaries", D, BENEFIT_CODE, level="district") == 3
    assert figures(engine, "benefit_beneficiaries", period="2024Q1") == {}  # annual only
    assert figures(engine, "benefit_beneficiaries", period="2023") == {}


def test_benefit_amounts(engine):
    # paid lines only: m3 and w4 in T1; m5's failed line is not paid
    rows = figures(engine, "benefit_amounts")
    assert {k: r.value for k, r in rows.items()} == {(T1, BENEFIT_CODE): 1200.0}
    assert value(engine, "benefit_amounts", D, BENEFIT_CODE, level="district") == 1200.0
    payers = figures(engine, "benefit_amounts_by_payer", level="district")
    assert {k[1]: r.value for k, r in payers.items()} == {
        "central": 600.0, "provincial": 360.0, "local": 240.0,
    }  # fmt: skip


def test_old_snapshot_without_the_new_tables(known):
    """A snapshot made before births/benefits were exported: their indicators are skipped."""
    (known.snapshot / "benefit_payments.parquet").unlink()
    frame = Engine(known.snapshot).run(Query.of("2024", "township"))
    assert "benefit_amounts" not in set(frame.indicator)
    assert "benefit_beneficiaries" in set(frame.indicator)
